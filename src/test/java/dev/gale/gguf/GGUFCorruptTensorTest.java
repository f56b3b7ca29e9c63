package dev.gale.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static dev.gale.gguf.GGUFAssert.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Corrupt tensor infos and tensor data: each gives a GGUFException naming the tensor, the field and its offset. */
class GGUFCorruptTensorTest {
    @TempDir
    Path dir;

    private static final int F32 = GGMLType.F32.id;
    private static final int Q8_0 = GGMLType.Q8_0.id;

    /** One F32 tensor 'w' of {@code dims} at data offset {@code offset}, followed by {@code dataBytes} bytes. */
    private static RawGGUF oneTensor(int typeId, long offset, int dataBytes, long... dims) {
        return RawGGUF.header(3, 1, 0).tensor("w", typeId, offset, dims).pad(32).mark("data").zeros(dataBytes);
    }

    @Test
    void validTensorOpens() throws IOException {
        RawGGUF raw = oneTensor(F32, 0, 16, 2, 2);
        try (GGUFFile f = GGUFFile.open(raw.write(dir, "ok.gguf"))) {
            GGUFTensorInfo t = f.tensor("w");
            assertEquals(raw.at("data"), f.dataStart());
            assertEquals(16, t.byteSize());
            assertEquals(raw.at("w"), t.infoOffset());
            assertEquals(raw.at("w.offset"), t.offsetFieldAt());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 31, 36, 43, 99, -1})
    void unknownTensorType(int typeId) throws IOException {
        RawGGUF raw = oneTensor(typeId, 0, 64, 4);
        rejects(dir, raw, "tensor 'w' type", raw.at("w.type"), "unknown tensor type " + Integer.toUnsignedString(typeId));
    }

    @Test
    void unknownTensorTypeNamesTheTensor() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 2, 0).tensor("blk.0.attn_q.weight", F32, 0, 4)
                .tensor("blk.0.attn_k.weight", 77, 32, 4).pad(32).zeros(64);
        rejects(dir, raw, "tensor 'blk.0.attn_k.weight' type", raw.at("blk.0.attn_k.weight.type"),
                "unknown tensor type 77");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 1000, -1})
    void nDimsOutOfRange(int nDims) throws IOException {
        RawGGUF raw = RawGGUF.header(3, 1, 0).str("w").mark("n_dims").u32(nDims).u64(4).u64(4).u64(4).u64(4).u64(4)
                .u32(F32).u64(0).pad(32).zeros(4096);
        rejects(dir, raw, "tensor 'w' n_dims", raw.at("n_dims"), "n_dims " + Integer.toUnsignedString(nDims),
                "is not in [1, 4]");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void nonPositiveDimension(long dim) throws IOException {
        RawGGUF raw = oneTensor(F32, 0, 64, 4, dim, 2);
        rejects(dir, raw, "tensor 'w' dim 1", raw.at("w.dim1"), "dimension " + Long.toUnsignedString(dim),
                "must be positive");
    }

    @Test
    void elementCountOverflowsInt64() throws IOException {
        RawGGUF raw = oneTensor(F32, 0, 64, 1L << 32, 1L << 31, 2);
        rejects(dir, raw, "tensor 'w' dims", raw.at("w.dims"), "element count overflows");
        raw = oneTensor(F32, 0, 64, 3, 5, 7, Long.MAX_VALUE / 100);
        rejects(dir, raw, "tensor 'w' dims", raw.at("w.dims"), "element count overflows");
    }

    @Test
    void byteSizeOverflowsInt64() throws IOException {
        RawGGUF raw = oneTensor(GGMLType.F64.id, 0, 64, 1L << 61);
        rejects(dir, raw, "tensor 'w' dims", raw.at("w.dims"), "byte size overflows");
    }

    @Test
    void rowLengthNotAMultipleOfTheBlockSize() throws IOException {
        RawGGUF raw = oneTensor(Q8_0, 0, 1024, 33, 2);
        rejects(dir, raw, "tensor 'w' dim 0", raw.at("w.dims"), "row length 33", "Q8_0 block size 32");
        raw = oneTensor(GGMLType.Q4_K.id, 0, 1024, 128);
        rejects(dir, raw, "tensor 'w' dim 0", raw.at("w.dims"), "row length 128", "Q4_K block size 256");
    }

    @Test
    void dataPastTheEndOfTheFile() throws IOException {
        RawGGUF raw = oneTensor(F32, 0, 15, 2, 2);
        rejects(dir, raw, "tensor 'w' offset", raw.at("w.offset"), "data of 16 bytes at offset 0", "past the end");
        raw = oneTensor(F32, 1 << 20, 64, 4);
        rejects(dir, raw, "tensor 'w' offset", raw.at("w.offset"), "at offset 1048576", "past the end");
    }

    @ParameterizedTest
    @ValueSource(longs = {-1L, Long.MIN_VALUE, -32})
    void offsetBeyondInt64(long offset) throws IOException {
        RawGGUF raw = oneTensor(F32, offset, 64, 4);
        rejects(dir, raw, "tensor 'w' offset", raw.at("w.offset"), "offset " + Long.toUnsignedString(offset),
                "past any file");
    }

    @Test
    void offsetNearInt64MaxDoesNotOverflow() throws IOException {
        RawGGUF raw = oneTensor(F32, Long.MAX_VALUE - 31, 64, 4); // 2^63 - 32: aligned
        rejects(dir, raw, "tensor 'w' offset", raw.at("w.offset"), "past the end");
        raw = oneTensor(F32, 0, 64, 1L << 40, 1L << 20); // 4 EiB of data
        rejects(dir, raw, "tensor 'w' offset", raw.at("w.offset"), "data of 4611686018427387904 bytes", "past the end");
    }

    @Test
    void misalignedOffset() throws IOException {
        RawGGUF raw = oneTensor(F32, 8, 64, 4);
        rejects(dir, raw, "tensor 'w' offset", raw.at("w.offset"), "offset 8 is not a multiple of the alignment 32");
    }

    @Test
    void misalignedForACustomAlignment() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 1, 1).kvU32("general.alignment", 64).tensor("w", F32, 32, 4).pad(64).zeros(128);
        rejects(dir, raw, "tensor 'w' offset", raw.at("w.offset"), "not a multiple of the alignment 64");
    }

    @Test
    void anyOffsetIsAlignedWithAlignmentOne() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 1, 1).kvU32("general.alignment", 1).tensor("w", F32, 3, 4).mark("data")
                .zeros(19);
        try (GGUFFile f = GGUFFile.open(raw.write(dir, "a1.gguf"))) {
            assertEquals(raw.at("data"), f.dataStart());
            assertEquals(3, f.tensor("w").dataOffset());
        }
    }

    @Test
    void overlappingTensors() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 2, 0).tensor("a", F32, 0, 16).tensor("b", F32, 32, 16).pad(32).zeros(128);
        rejects(dir, raw, "tensor 'b' offset", raw.at("b.offset"), "data [32, 96) overlaps tensor 'a' [0, 64)");
    }

    @Test
    void overlapIsFoundWhateverTheInfoOrder() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 3, 0).tensor("c", F32, 256, 8).tensor("b", F32, 64, 64).tensor("a", F32, 0, 8)
                .pad(32).zeros(512);
        rejects(dir, raw, "tensor 'c' offset", raw.at("c.offset"), "overlaps tensor 'b'");
    }

    @Test
    void tensorsSharingAnOffset() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 2, 0).tensor("a", F32, 0, 8).tensor("b", F32, 0, 8).pad(32).zeros(64);
        rejects(dir, raw, "offset", -1, "overlaps tensor");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 2, 0).tensor("w", F32, 0, 8).mark("second").tensor("w", F32, 32, 8).pad(32)
                .zeros(64);
        rejects(dir, raw, "tensor 'w'", raw.at("second"), "duplicate tensor name");
    }

    @Test
    void emptyTensorName() throws IOException {
        RawGGUF raw = oneTensor(F32, 0, 64, 4);
        byte[] b = RawGGUF.withU64(raw.bytes(), raw.at("w"), 0); // name length 0: "w" becomes the n_dims' first byte
        rejects(dir, b, "tensor #0 name", raw.at("w"), "empty name");
    }

    @Test
    void fileEndsBeforeTheDataSection() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 1, 0).tensor("w", F32, 0, 4);
        rejects(dir, raw, "tensor data", raw.size(), "file ends before the tensor data section");
    }

    @Test
    void truncatedTensorInfo() throws IOException {
        RawGGUF raw = RawGGUF.header(3, 1, 0).str("w").u32(2).u64(4).mark("dim1").u32(7);
        rejects(dir, raw, "tensor 'w' dim 1", raw.at("dim1"), "truncated", "needs 8 bytes, 4 left");
    }

    @Test
    void longTensorNamesAreReadUpToTheKeyLimit() throws IOException {
        String name = "n".repeat(1000); // llama.cpp stops at 63 bytes; Gale reads them, bounded like keys
        RawGGUF raw = RawGGUF.header(3, 1, 0).tensor(name, F32, 0, 4).pad(32).zeros(16);
        try (GGUFFile f = GGUFFile.open(raw.write(dir, "long.gguf"))) {
            assertEquals(16, f.tensor(name).byteSize());
        }
        String tooLong = "n".repeat(GGUFReader.MAX_NAME_BYTES + 1);
        raw = RawGGUF.header(3, 1, 0).tensor(tooLong, F32, 0, 4).pad(32).zeros(16);
        rejects(dir, raw, "tensor #0 name", 24, "above the limit");
    }
}
