package dev.gale.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.gale.gguf.GGUFAssert.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Corrupt headers and metadata: each gives a GGUFException naming the field and its byte offset. */
class GGUFCorruptFileTest {
    @TempDir
    Path dir;

    private static final GGUFValueType STRING = GGUFValueType.STRING;
    private static final GGUFValueType ARRAY = GGUFValueType.ARRAY;

    @Test
    void emptyFile() throws IOException {
        rejects(dir, new byte[0], "magic", 0, "file is empty");
    }

    @Test
    void badMagic() throws IOException {
        byte[] b = RawGGUF.header(3, 0, 0).bytes();
        b[3] = 'X';
        rejects(dir, b, "magic", 0, "not a GGUF file", "47475558");
        rejects(dir, "PK\3\4 not a gguf at all, a zip".getBytes(), "magic", 0, "not a GGUF file");
    }

    @Test
    void tooShortForMagic() throws IOException {
        rejects(dir, "GGU".getBytes(), "magic", 0, "truncated");
    }

    @Test
    void version1IsObsolete() throws IOException {
        rejects(dir, RawGGUF.header(1, 0, 0), "version", 4, "version 1 is obsolete");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4, 5, 1000, -1})
    void unknownVersion(int version) throws IOException {
        rejects(dir, RawGGUF.header(version, 0, 0), "version", 4,
                "unsupported GGUF version " + Integer.toUnsignedString(version), "only versions 2 and 3");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void bigEndianVersion(int version) throws IOException {
        rejects(dir, RawGGUF.header(Integer.reverseBytes(version), 0, 0), "version", 4, "big-endian");
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 62, Long.MAX_VALUE, -1L, 1_000_000})
    void hugeTensorCount(long count) throws IOException {
        rejects(dir, RawGGUF.header(3, count, 0), "tensor_count", 8, "count " + Long.toUnsignedString(count),
                "impossible");
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 62, -1L, 3})
    void hugeKvCount(long count) throws IOException {
        rejects(dir, RawGGUF.header(3, 0, count).kvU32("only.one", 1), "metadata_kv_count", 16,
                "count " + Long.toUnsignedString(count), "impossible");
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 40, Long.MAX_VALUE, -1L, 100})
    void hugeKeyLength(long length) throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).u64(length).bytes("abc".getBytes()).u32(4).u32(0);
        rejects(dir, raw, "metadata key #0", 24, "string length " + Long.toUnsignedString(length),
                "runs past the end of the file");
    }

    @Test
    void hugeStringValueLength() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("general.name", STRING).u64(1L << 50).bytes("x".getBytes());
        rejects(dir, raw, "general.name", raw.at("general.name.value"), "string length 1125899906842624", "runs past");
    }

    @Test
    void keyLongerThanTheLimit() throws IOException {
        String key = "k".repeat(GGUFReader.MAX_NAME_BYTES + 1);
        rejects(dir, RawGGUF.header(3, 0, 1).kvU32(key, 1), "metadata key #0", 24, "above the limit of 65535");
    }

    @Test
    void emptyKey() throws IOException {
        rejects(dir, RawGGUF.header(3, 0, 1).kvU32("", 1), "metadata key #0", 24, "empty name");
    }

    @Test
    void duplicateKeys() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 3).kvU32("a", 1).mark("second").kvU32("b", 2).kvString("a", "again");
        rejects(dir, raw, "a", raw.at("a"), "duplicate metadata key");
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 100, -1})
    void unknownValueType(int typeId) throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("odd", typeId).u64(0);
        rejects(dir, raw, "odd type", raw.at("odd.type"), "unknown metadata value type " + Integer.toUnsignedString(typeId));
    }

    @Test
    void unknownArrayElementType() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("arr", ARRAY).u32(42).u64(1).u64(0);
        rejects(dir, raw, "arr element type", raw.at("arr.value"), "unknown metadata value type 42");
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 40, 1L << 62, -1L, 17})
    void hugeArrayCount(long count) throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("arr", ARRAY).u32(GGUFValueType.UINT8.id).mark("count").u64(count)
                .zeros(16);
        rejects(dir, raw, "arr element count", raw.at("count"), "count " + Long.toUnsignedString(count), "impossible");
    }

    @Test
    void hugeStringArrayCountChecksTheSmallestString() throws IOException {
        // 100 bytes left cannot hold 13 strings of at least 8 bytes each
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("arr", ARRAY).u32(STRING.id).mark("count").u64(13).zeros(100);
        rejects(dir, raw, "arr element count", raw.at("count"), "could hold at most 12");
    }

    @Test
    void arrayNestedTooDeep() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("deep", ARRAY);
        for (int d = 1; d <= GGUFReader.MAX_ARRAY_DEPTH; d++) {
            raw.u32(ARRAY.id).u64(1);
        }
        raw.mark("ninth").u32(GGUFValueType.UINT8.id).u64(1).u8(7);
        rejects(dir, raw, "deep" + "[0]".repeat(8), raw.at("ninth"), "nested more than 8 deep");
    }

    @Test
    void arraysNestedEightDeepAreFine() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("deep", ARRAY);
        for (int d = 1; d < GGUFReader.MAX_ARRAY_DEPTH; d++) {
            raw.u32(ARRAY.id).u64(1);
        }
        raw.u32(GGUFValueType.UINT8.id).u64(1).u8(7);
        try (GGUFFile f = GGUFFile.open(raw.write(dir, "deep.gguf"))) {
            GGUFArray a = f.getArray("deep", ARRAY);
            for (int d = 1; d < GGUFReader.MAX_ARRAY_DEPTH; d++) {
                a = a.arrays()[0];
            }
            assertEquals(7, a.ints()[0]);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 255, 0x80})
    void boolNotZeroOrOne(int b) throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("flag", GGUFValueType.BOOL).u8(b);
        rejects(dir, raw, "flag", raw.at("flag.value"), "bool value must be 0 or 1, found " + b);
    }

    @Test
    void boolArrayElementNotZeroOrOne() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("flags", ARRAY).u32(GGUFValueType.BOOL.id).u64(3).u8(1).u8(0)
                .mark("bad").u8(9);
        rejects(dir, raw, "flags[2]", raw.at("bad"), "found 9");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 48, 1 << 31})
    void alignmentNotAPowerOfTwo(int alignment) throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).kvU32("general.alignment", alignment);
        rejects(dir, raw, "general.alignment", raw.at("general.alignment.value"), "must be a power of two",
                "found " + Integer.toUnsignedString(alignment));
    }

    @Test
    void alignmentOfANonIntegerType() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("general.alignment", GGUFValueType.FLOAT32).f32(32f);
        rejects(dir, raw, "general.alignment", raw.at("general.alignment.value"), "must be an integer, found FLOAT32");
        raw = RawGGUF.header(3, 0, 1).kvString("general.alignment", "32");
        rejects(dir, raw, "general.alignment", raw.at("general.alignment.value"), "must be an integer, found STRING");
    }

    @Test
    void negativeAlignmentOfASignedType() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("general.alignment", GGUFValueType.INT64).u64(-32);
        rejects(dir, raw, "general.alignment", raw.at("general.alignment.value"), "found -32");
    }

    @Test
    void truncatedScalarValue() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("big", GGUFValueType.UINT64).u32(0);
        rejects(dir, raw, "big", raw.at("big.value"), "truncated", "needs 8 bytes, 4 left");
    }

    @Test
    void invalidUtf8IsReadLeniently() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("s", STRING).u64(3).bytes(new byte[] {'a', (byte) 0xFF, 'b'});
        try (GGUFFile f = GGUFFile.open(raw.write(dir, "latin.gguf"))) {
            assertEquals("a\uFFFDb", f.getString("s"));
        }
    }

    @Test
    void trailingGarbageAfterMetadataIsIgnoredWithoutTensors() throws IOException {
        Path p = Files.write(dir.resolve("t.gguf"), RawGGUF.header(2, 0, 1).kvU32("a", 1).u64(-1).bytes());
        try (GGUFFile f = GGUFFile.open(p)) {
            assertEquals(1, f.getLong("a"));
            assertEquals(2, f.version());
        }
    }
}
