package dev.gale.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writer → reader round trips: every metadata value type, every tensor type, versions 2 and 3, alignments. */
class GGUFRoundTripTest {
    @TempDir
    Path dir;

    private static final int QUIET_NAN_WITH_PAYLOAD = 0x7FC0_1234;
    private static final long DOUBLE_NAN_WITH_PAYLOAD = 0x7FF8_0000_0000_BEEFL;

    /** One or more values of every type, with their edge cases. */
    static Map<String, GGUFValue> everyValue() {
        Map<String, GGUFValue> m = new LinkedHashMap<>();
        m.put("u8.min", GGUFValue.uint8(0));
        m.put("u8.max", GGUFValue.uint8(255));
        m.put("i8.min", GGUFValue.int8(-128));
        m.put("i8.max", GGUFValue.int8(127));
        m.put("u16.max", GGUFValue.uint16(65535));
        m.put("i16.min", GGUFValue.int16(-32768));
        m.put("u32.max", GGUFValue.uint32(0xFFFF_FFFFL));
        m.put("i32.min", GGUFValue.int32(Integer.MIN_VALUE));
        m.put("i32.neg", GGUFValue.int32(-7));
        m.put("u64.max", GGUFValue.uint64(-1L));
        m.put("i64.min", GGUFValue.int64(Long.MIN_VALUE));
        m.put("i64.neg", GGUFValue.int64(-123456789012345L));
        m.put("f32.nan", GGUFValue.float32(Float.intBitsToFloat(QUIET_NAN_WITH_PAYLOAD)));
        m.put("f32.inf", GGUFValue.float32(Float.POSITIVE_INFINITY));
        m.put("f32.ninf", GGUFValue.float32(Float.NEGATIVE_INFINITY));
        m.put("f32.negzero", GGUFValue.float32(-0.0f));
        m.put("f32.subnormal", GGUFValue.float32(Float.MIN_VALUE));
        m.put("f64.nan", GGUFValue.float64(Double.longBitsToDouble(DOUBLE_NAN_WITH_PAYLOAD)));
        m.put("f64.ninf", GGUFValue.float64(Double.NEGATIVE_INFINITY));
        m.put("f64.max", GGUFValue.float64(Double.MAX_VALUE));
        m.put("bool.true", GGUFValue.bool(true));
        m.put("bool.false", GGUFValue.bool(false));
        m.put("str.empty", GGUFValue.string(""));
        m.put("str.unicode", GGUFValue.string("héllo ▁wörld 世界 🙂 \u0000 end"));
        m.put("ключ.unicode", GGUFValue.string("a key that is not ASCII"));
        m.put("arr.u8", GGUFValue.array(GGUFValueType.UINT8, new byte[] {0, 1, (byte) 255}));
        m.put("arr.i8", GGUFValue.array(GGUFValueType.INT8, new byte[] {-128, 0, 127}));
        m.put("arr.u16", GGUFValue.array(GGUFValueType.UINT16, new short[] {0, (short) 65535}));
        m.put("arr.i16", GGUFValue.array(GGUFValueType.INT16, new short[] {Short.MIN_VALUE, -1, Short.MAX_VALUE}));
        m.put("arr.u32", GGUFValue.array(GGUFValueType.UINT32, new int[] {0, -1}));
        m.put("arr.i32", GGUFValue.array(GGUFValueType.INT32, new int[] {Integer.MIN_VALUE, -1, 0, 42}));
        m.put("arr.u64", GGUFValue.array(GGUFValueType.UINT64, new long[] {-1L, 0, 1}));
        m.put("arr.i64", GGUFValue.array(GGUFValueType.INT64, new long[] {Long.MIN_VALUE, Long.MAX_VALUE}));
        m.put("arr.f32", GGUFValue.array(GGUFValueType.FLOAT32,
                new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0.0f, 1.5f, Float.MAX_VALUE}));
        m.put("arr.f64", GGUFValue.array(GGUFValueType.FLOAT64, new double[] {Double.NaN, Double.MIN_VALUE, -2.25}));
        m.put("arr.bool", GGUFValue.array(GGUFValueType.BOOL, new boolean[] {true, false, true}));
        m.put("arr.str", GGUFValue.array(GGUFValueType.STRING, new String[] {"", "▁the", "<0x0A>", "🙂", ""}));
        for (GGUFValueType t : GGUFValueType.values()) {
            m.put("arr.empty." + t.name().toLowerCase(), GGUFValue.array(t, emptyArray(t)));
        }
        GGUFArray ints = new GGUFArray(GGUFValueType.INT32, new int[] {1, 2});
        GGUFArray none = new GGUFArray(GGUFValueType.INT32, new int[0]);
        GGUFArray strs = new GGUFArray(GGUFValueType.STRING, new String[] {"x", ""});
        m.put("arr.nested", GGUFValue.array(GGUFValueType.ARRAY, new GGUFArray[] {ints, none, ints}));
        m.put("arr.nested.str", GGUFValue.array(GGUFValueType.ARRAY, new GGUFArray[] {strs}));
        GGUFArray deep = ints;
        for (int d = 2; d <= GGUFReader.MAX_ARRAY_DEPTH; d++) {
            deep = new GGUFArray(GGUFValueType.ARRAY, new GGUFArray[] {deep, none});
        }
        m.put("arr.nested.deepest", GGUFValue.of(GGUFValueType.ARRAY, deep));
        return m;
    }

    static Object emptyArray(GGUFValueType t) {
        return switch (t) {
            case UINT8, INT8 -> new byte[0];
            case UINT16, INT16 -> new short[0];
            case UINT32, INT32 -> new int[0];
            case UINT64, INT64 -> new long[0];
            case FLOAT32 -> new float[0];
            case FLOAT64 -> new double[0];
            case BOOL -> new boolean[0];
            case STRING -> new String[0];
            case ARRAY -> new GGUFArray[0];
        };
    }

    private record Written(String name, GGMLType type, long[] dims, byte[] data) {
    }

    /** A tensor of every type with random bytes, of 1 to 4 dims. */
    static List<Written> everyTensorType(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Written> out = new ArrayList<>();
        for (GGMLType t : GGMLType.values()) {
            int nDims = 1 + t.ordinal() % 4;
            long[] dims = new long[nDims];
            dims[0] = (long) t.blockSize * (1 + rnd.nextInt(3));
            for (int d = 1; d < nDims; d++) {
                dims[d] = 1 + rnd.nextInt(3);
            }
            long elements = 1;
            for (long d : dims) {
                elements *= d;
            }
            byte[] data = new byte[(int) t.byteSize(elements)];
            rnd.nextBytes(data);
            out.add(new Written("t." + t.name().toLowerCase(), t, dims, data));
        }
        return out;
    }

    @ParameterizedTest(name = "version {0}, alignment {1}")
    @CsvSource({"3, 0", "2, 0", "3, 1", "2, 1", "3, 64", "2, 64", "3, 4096"})
    void everyValueAndTensorTypeSurvives(int version, int alignment) throws IOException {
        GGUFWriter w = new GGUFWriter().version(version);
        if (alignment > 0) {
            w.putUInt32("general.alignment", alignment);
        }
        Map<String, GGUFValue> values = everyValue();
        values.forEach(w::put);
        List<Written> tensors = everyTensorType(version * 1000L + alignment);
        for (Written t : tensors) {
            w.addTensor(t.name, t.type, t.dims, t.data);
        }
        Path p = dir.resolve("rt.gguf");
        w.write(p);

        int expectedAlignment = alignment > 0 ? alignment : GGUFFile.DEFAULT_ALIGNMENT;
        try (GGUFFile f = GGUFFile.open(p)) {
            assertEquals(version, f.version());
            assertEquals(expectedAlignment, f.alignment());
            assertEquals(0, f.dataStart() % expectedAlignment, "data section aligned");
            List<String> keys = new ArrayList<>(f.metadata().keySet());
            keys.remove("general.alignment");
            assertEquals(new ArrayList<>(values.keySet()), keys, "keys in file order");
            for (var e : values.entrySet()) {
                GGUFValue read = f.metadata().get(e.getKey());
                assertTrue(e.getValue().sameValue(read), e.getKey() + ": wrote " + e.getValue() + ", read " + read);
            }
            assertEquals(QUIET_NAN_WITH_PAYLOAD, Float.floatToRawIntBits((Float) f.metadata().get("f32.nan").value()));
            assertEquals(DOUBLE_NAN_WITH_PAYLOAD, Double.doubleToRawLongBits((Double) f.metadata().get("f64.nan").value()));
            assertEquals(-1L, f.metadata().get("u64.max").value());
            assertEquals("18446744073709551615", f.metadata().get("u64.max").toString());

            assertEquals(tensors.size(), f.tensors().size());
            List<String> names = new ArrayList<>(f.tensors().keySet());
            for (int i = 0; i < tensors.size(); i++) {
                Written t = tensors.get(i);
                GGUFTensorInfo info = f.tensor(t.name);
                assertEquals(t.name, names.get(i), "tensor order");
                assertEquals(t.type, info.type());
                assertArrayEquals(t.dims, info.dims());
                assertEquals(t.data.length, info.byteSize());
                assertEquals(0, info.dataOffset() % expectedAlignment, t.name + " offset aligned");
                assertEquals(0, (f.dataStart() + info.dataOffset()) % expectedAlignment);
                MemorySegment data = f.tensorData(info);
                assertArrayEquals(t.data, data.toArray(ValueLayout.JAVA_BYTE), t.name + " data");
            }
        }
    }

    @Test
    void emptyFileHasNoTensorsAndNoKeys() throws IOException {
        Path p = dir.resolve("empty.gguf");
        new GGUFWriter().write(p);
        try (GGUFFile f = GGUFFile.open(p)) {
            assertTrue(f.metadata().isEmpty());
            assertTrue(f.tensors().isEmpty());
            assertEquals(3, f.version());
        }
    }

    @Test
    void bytesAreLaidOutAsTheSpecificationSays() {
        byte[] b = new GGUFWriter().version(2).putUInt32("k", 7)
                .addTensor("t", GGMLType.F32, new long[] {1}, new byte[] {1, 2, 3, 4}).toBytes();
        RawGGUF expected = RawGGUF.header(2, 1, 1).kvU32("k", 7).tensor("t", 0, 0, 1).pad(32).bytes(new byte[] {1, 2, 3, 4})
                .pad(32);
        assertArrayEquals(expected.bytes(), b);
    }

    @Test
    void typedGettersReadEveryIntegerWidth() throws IOException {
        GGUFWriter w = new GGUFWriter();
        everyValue().forEach(w::put);
        Path p = dir.resolve("g.gguf");
        w.write(p);
        try (GGUFFile f = GGUFFile.open(p)) {
            assertEquals(255, f.getLong("u8.max"));
            assertEquals(-128, f.getLong("i8.min"));
            assertEquals(0xFFFF_FFFFL, f.getLong("u32.max"));
            assertEquals(Long.MIN_VALUE, f.getLong("i64.min"));
            GGUFException e = assertThrows(GGUFException.class, () -> f.getLong("u64.max"));
            assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
            assertEquals(-7, f.getInt("i32.neg", -10, 10));
            assertThrows(GGUFException.class, () -> f.getInt("u32.max", 0, 100));
            assertArrayEquals(new int[] {0, 1, 255}, f.getIntArray("arr.u8"));
            assertArrayEquals(new int[] {Integer.MIN_VALUE, -1, 0, 42}, f.getIntArray("arr.i32"));
            assertThrows(GGUFException.class, () -> f.getIntArray("arr.u32"));
            assertThrows(GGUFException.class, () -> f.getIntArray("arr.u64"));
            assertThrows(GGUFException.class, () -> f.getIntArray("arr.str"));
            assertEquals("", f.getString("str.empty"));
            assertEquals(Float.NEGATIVE_INFINITY, f.getFloat("f32.ninf"));
        }
    }
}
