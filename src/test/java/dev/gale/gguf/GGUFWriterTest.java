package dev.gale.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writer refuses to write a file Gale or llama.cpp would reject; values are checked against their type. */
class GGUFWriterTest {
    @TempDir
    Path dir;

    private static IllegalArgumentException refused(Runnable r, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void badAlignment() {
        GGUFWriter w = new GGUFWriter();
        refused(() -> w.putUInt32("general.alignment", 0), "power of two");
        refused(() -> w.putUInt32("general.alignment", 48), "power of two");
        refused(() -> w.putUInt32("general.alignment", 1L << 31), "power of two");
        refused(() -> w.put("general.alignment", GGUFValue.int32(32)), "UINT32");
        refused(() -> w.putString("general.alignment", "32"), "UINT32");
    }

    @Test
    void badKeysAndNames() {
        GGUFWriter w = new GGUFWriter();
        refused(() -> w.putUInt32("", 1), "key");
        refused(() -> w.putUInt32("k".repeat(65536), 1), "65535");
        byte[] four = new byte[16];
        refused(() -> w.addTensor("", GGMLType.F32, new long[] {4}, four), "tensor name");
        refused(() -> w.addTensor("n".repeat(64), GGMLType.F32, new long[] {4}, four), "63 bytes");
        w.addTensor("n".repeat(63), GGMLType.F32, new long[] {4}, four);
        w.addTensor("t", GGMLType.F32, new long[] {4}, four);
        refused(() -> w.addTensor("t", GGMLType.F32, new long[] {4}, four), "duplicate tensor name 't'");
    }

    @Test
    void badDims() {
        GGUFWriter w = new GGUFWriter();
        byte[] b = new byte[64];
        refused(() -> w.addTensor("a", GGMLType.F32, new long[0], b), "1 to 4 dims");
        refused(() -> w.addTensor("a", GGMLType.F32, new long[] {1, 1, 1, 1, 1}, b), "1 to 4 dims");
        refused(() -> w.addTensor("a", GGMLType.F32, new long[] {4, 0}, b), "positive");
        refused(() -> w.addTensor("a", GGMLType.F32, new long[] {-4}, b), "positive");
        refused(() -> w.addTensor("a", GGMLType.Q8_0, new long[] {16, 2}, b), "row length 16", "Q8_0 block size 32");
        assertThrows(ArithmeticException.class,
                () -> w.addTensor("a", GGMLType.F32, new long[] {1L << 32, 1L << 32}, () -> MemorySegment.NULL));
    }

    @Test
    void wrongDataSizeIsFoundWhenWriting() {
        GGUFWriter w = new GGUFWriter().addTensor("a", GGMLType.F32, new long[] {4}, new byte[15]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write(dir.resolve("x.gguf")));
        assertTrue(e.getMessage().contains("needs 16 bytes, got 15"), e.getMessage());
    }

    @Test
    void versions() {
        refused(() -> new GGUFWriter().version(1), "version 1");
        refused(() -> new GGUFWriter().version(4), "version 4");
        assertEquals(2, new GGUFWriter().version(2).toBytes()[4]);
        assertEquals(3, new GGUFWriter().toBytes()[4]);
    }

    @Test
    void nestingDeeperThanTheReaderAcceptsIsRefused() {
        GGUFArray a = new GGUFArray(GGUFValueType.UINT8, new byte[] {1});
        for (int d = 2; d <= GGUFReader.MAX_ARRAY_DEPTH + 1; d++) {
            a = new GGUFArray(GGUFValueType.ARRAY, new GGUFArray[] {a});
        }
        GGUFValue tooDeep = GGUFValue.of(GGUFValueType.ARRAY, a);
        refused(() -> new GGUFWriter().put("deep", tooDeep), "nested more than 8 deep");
    }

    @Test
    void valuesMustFitTheirType() {
        refused(() -> GGUFValue.uint8(256), "UINT8 value 256 is out of range [0, 255]");
        refused(() -> GGUFValue.uint8(-1), "out of range");
        refused(() -> GGUFValue.int8(128), "out of range");
        refused(() -> GGUFValue.uint16(65536), "out of range");
        refused(() -> GGUFValue.int16(-32769), "out of range");
        refused(() -> GGUFValue.uint32(-1), "out of range");
        refused(() -> GGUFValue.uint32(1L << 32), "out of range");
        refused(() -> GGUFValue.of(GGUFValueType.INT32, 5L), "INT32 value must be a Integer");
        refused(() -> GGUFValue.of(GGUFValueType.FLOAT32, 1.0), "must be a Float");
        refused(() -> GGUFValue.of(GGUFValueType.STRING, null), "needs a type and a value");
        refused(() -> new GGUFArray(GGUFValueType.INT32, new long[1]), "needs a int[]");
        refused(() -> new GGUFArray(GGUFValueType.STRING, new String[] {"a", null}), "null element");
    }

    @Test
    void arraysCompareByContent() {
        GGUFArray a = new GGUFArray(GGUFValueType.FLOAT32, new float[] {Float.NaN, 1});
        assertEquals(a, new GGUFArray(GGUFValueType.FLOAT32, new float[] {Float.NaN, 1}));
        assertEquals(a.hashCode(), new GGUFArray(GGUFValueType.FLOAT32, new float[] {Float.NaN, 1}).hashCode());
        assertNotEquals(a, new GGUFArray(GGUFValueType.FLOAT32, new float[] {Float.NaN, 2}));
        assertNotEquals(new GGUFArray(GGUFValueType.INT32, new int[] {1}), new GGUFArray(GGUFValueType.UINT32, new int[] {1}));
        assertNotEquals(new GGUFArray(GGUFValueType.FLOAT32, new float[] {0f}),
                new GGUFArray(GGUFValueType.FLOAT32, new float[] {-0f}));
    }

    @Test
    void previewShowsUnsignedValues() {
        assertEquals("[0, 4294967295]", new GGUFArray(GGUFValueType.UINT32, new int[] {0, -1}).preview(6));
        assertEquals("[18446744073709551615, ...]", new GGUFArray(GGUFValueType.UINT64, new long[] {-1, 2}).preview(1));
        assertEquals("255", new GGUFArray(GGUFValueType.UINT8, new byte[] {-1}).elementString(0));
        assertEquals("-1", new GGUFArray(GGUFValueType.INT8, new byte[] {-1}).elementString(0));
        assertEquals("65535", new GGUFArray(GGUFValueType.UINT16, new short[] {-1}).elementString(0));
        assertEquals("[]", new GGUFArray(GGUFValueType.STRING, new String[0]).preview(6));
    }

    @Test
    void lazyTensorDataIsMadeWhenWritten() throws IOException {
        int[] made = {0};
        GGUFWriter w = new GGUFWriter().addTensor("lazy", GGMLType.F32, new long[] {2}, () -> {
            made[0]++;
            return MemorySegment.ofArray(new float[] {1f, 2f});
        });
        assertEquals(0, made[0]);
        Path p = dir.resolve("lazy.gguf");
        w.write(p);
        assertEquals(1, made[0]);
        try (GGUFFile f = GGUFFile.open(p)) {
            assertEquals(8, f.tensor("lazy").byteSize());
        }
    }

    @Test
    void replacingATensor() throws IOException {
        GGUFWriter w = new GGUFWriter().addTensor("a", GGMLType.F32, new long[] {1}, new byte[4])
                .addTensor("b", GGMLType.F32, new long[] {1}, new byte[4]);
        w.removeTensor("a").addTensor("a", GGMLType.F16, new long[] {2}, new byte[4]);
        Path p = dir.resolve("r.gguf");
        w.write(p);
        try (GGUFFile f = GGUFFile.open(p)) {
            assertEquals(GGMLType.F16, f.tensor("a").type());
            assertEquals("[b, a]", f.tensors().keySet().toString());
        }
    }
}
