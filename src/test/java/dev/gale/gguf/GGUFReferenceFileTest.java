package dev.gale.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gale.quant.BlockFormat;
import dev.gale.quant.Formats;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the keys and tensors recorded by llama.cpp's own GGUF package (gguf-py; see
 * src/test/resources/gguf/README.md), laid out as a GGUF file by {@link ReferenceFile}, and compares
 * every metadata value and every dequantized tensor value with what gguf-py wrote and decoded
 * (reference.json). Gale's quantizers must also reproduce gguf-py's bytes from the same floats.
 */
class GGUFReferenceFileTest {
    private static Path file;
    private static JsonNode expected;

    @BeforeAll
    static void load(@TempDir Path dir) throws Exception {
        expected = new ObjectMapper().readTree(GGUFReferenceFileTest.class.getResource("/gguf/reference.json"));
        file = ReferenceFile.write(expected, dir);
    }

    @Test
    void metadataIsReadAsGgufPyWroteIt() throws Exception {
        try (GGUFFile f = GGUFFile.open(file)) {
            assertEquals(3, f.version());
            assertEquals(64, f.alignment());
            List<String> keys = new ArrayList<>();
            for (JsonNode kv : expected.get("metadata")) {
                String key = kv.get("key").asText();
                keys.add(key);
                GGUFValue v = f.metadata().get(key);
                assertNotNull(v, key);
                assertEquals(kv.get("type").asText(), v.type().name(), key);
                if (v.type() == GGUFValueType.ARRAY) {
                    GGUFArray a = (GGUFArray) v.value();
                    if (kv.has("element_type")) {
                        assertArray(key, kv.get("element_type").asText(), kv.get("value"), a);
                    } else {
                        assertArray(key, "ARRAY", kv.get("value"), a);
                    }
                } else {
                    assertScalar(key, v.type(), kv.get("value"), v.value());
                }
            }
            assertEquals(keys, new ArrayList<>(f.metadata().keySet()), "keys in file order");
        }
    }

    @Test
    void tensorsDecodeAsGgufPyDecodesThem() throws Exception {
        try (GGUFFile f = GGUFFile.open(file)) {
            List<String> names = new ArrayList<>();
            for (JsonNode t : expected.get("tensors")) {
                String name = t.get("name").asText();
                names.add(name);
                GGUFTensorInfo info = f.tensor(name);
                assertNotNull(info, name);
                assertEquals(t.get("type").asText(), info.type().name(), name);
                long[] dims = new long[t.get("dims").size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = t.get("dims").get(i).asLong();
                }
                assertArrayEquals(dims, info.dims(), name + " dims");
                assertEquals(0, (f.dataStart() + info.dataOffset()) % 64, name + " aligned");
                float[] values = Formats.of(info.type(), name).dequantize(f.tensorData(info));
                JsonNode bits = t.get("float_bits");
                assertEquals(bits.size(), values.length, name);
                for (int i = 0; i < values.length; i++) {
                    assertEquals(bits.get(i).asLong(), Integer.toUnsignedLong(Float.floatToRawIntBits(values[i])),
                            name + "[" + i + "] = " + values[i]);
                }
            }
            assertEquals(names, new ArrayList<>(f.tensors().keySet()), "tensors in file order");
        }
    }

    @Test
    void galeQuantizesTheSourceToTheSameBytesAsGgufPy() throws Exception {
        try (GGUFFile f = GGUFFile.open(file)) {
            float[] src = Formats.of(GGMLType.F32).dequantize(f.tensorData(f.tensor("src.f32")));
            int checked = 0;
            for (JsonNode t : expected.get("tensors")) {
                if (!"src.f32".equals(t.get("source").asText(null))) {
                    continue;
                }
                GGUFTensorInfo info = f.tensor(t.get("name").asText());
                BlockFormat format = Formats.of(info.type());
                byte[] ours = format.quantize(src).toArray(ValueLayout.JAVA_BYTE);
                byte[] theirs = f.tensorData(info).toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(theirs, ours, info.name() + ": Gale's " + info.type() + " bytes");
                checked++;
            }
            assertTrue(checked >= 5, checked + " formats checked");
        }
    }

    private static void assertScalar(String key, GGUFValueType type, JsonNode want, Object got) {
        switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> assertEquals(want.asInt(), (Integer) got, key);
            case UINT32 -> assertEquals(want.asLong(), (Long) got, key);
            case UINT64 -> assertEquals(want.asText(), Long.toUnsignedString((Long) got), key);
            case INT64 -> assertEquals(Long.parseLong(want.asText()), (Long) got, key);
            case FLOAT32 -> assertEquals(want.asLong(), Integer.toUnsignedLong(Float.floatToRawIntBits((Float) got)), key);
            case FLOAT64 -> assertEquals(Double.doubleToRawLongBits(Double.parseDouble(want.asText())),
                    Double.doubleToRawLongBits((Double) got), key);
            case BOOL -> assertEquals(want.asBoolean(), got, key);
            case STRING -> assertEquals(want.asText(), got, key);
            case ARRAY -> throw new AssertionError(key);
        }
    }

    private static void assertArray(String key, String elementType, JsonNode want, GGUFArray got) {
        assertEquals(elementType, got.elementType().name(), key + " element type");
        assertEquals(want.size(), got.length(), key + " length");
        for (int i = 0; i < got.length(); i++) {
            String at = key + "[" + i + "]";
            if (got.elementType() == GGUFValueType.ARRAY) {
                JsonNode inner = want.get(i);
                assertArray(at, inner.get("element_type").asText(), inner.get("values"), got.arrays()[i]);
                continue;
            }
            Object element = Array.get(got.values(), i);
            Object boxed = switch (got.elementType()) {
                case UINT8 -> ((Byte) element) & 0xFF;
                case INT8 -> (int) (Byte) element;
                case UINT16 -> ((Short) element) & 0xFFFF;
                case INT16 -> (int) (Short) element;
                case UINT32 -> Integer.toUnsignedLong((Integer) element);
                default -> element;
            };
            GGUFValueType scalarType = got.elementType() == GGUFValueType.UINT16 ? GGUFValueType.INT32 : got.elementType();
            assertScalar(at, scalarType, want.get(i), boxed);
        }
    }

    @Test
    void theFixtureIsSmall() throws Exception {
        assertTrue(java.nio.file.Files.size(file) < 100_000);
        MemorySegment whole;
        try (GGUFFile f = GGUFFile.open(file)) {
            whole = f.segment();
            assertTrue(whole.isMapped());
        }
    }
}
