package dev.gale.gguf;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Lays out the keys and tensors recorded by gguf-py (src/test/resources/gguf/reference.json) as a
 * GGUF v3 file, field by field as the specification puts them ({@link RawGGUF}, not Gale's writer):
 * every value with the type gguf-py gave it, tensor data aligned to {@code general.alignment} = 64,
 * each tensor's bytes exactly as gguf-py encoded them.
 */
final class ReferenceFile {
    private static final int ALIGNMENT = 64;

    private ReferenceFile() {
    }

    static Path write(JsonNode reference, Path dir) throws IOException {
        JsonNode metadata = reference.get("metadata");
        JsonNode tensors = reference.get("tensors");
        RawGGUF g = RawGGUF.header(3, tensors.size(), metadata.size());
        for (JsonNode kv : metadata) {
            GGUFValueType type = GGUFValueType.valueOf(kv.get("type").asText());
            g.key(kv.get("key").asText(), type);
            if (type == GGUFValueType.ARRAY) {
                array(g, kv.has("element_type") ? kv.get("element_type").asText() : "ARRAY", kv.get("value"));
            } else {
                scalar(g, type, kv.get("value"));
            }
        }
        byte[][] data = new byte[tensors.size()][];
        long offset = 0;
        for (int i = 0; i < data.length; i++) {
            JsonNode t = tensors.get(i);
            data[i] = HexFormat.of().parseHex(t.get("data_hex").asText());
            long[] dims = new long[t.get("dims").size()];
            for (int d = 0; d < dims.length; d++) {
                dims[d] = t.get("dims").get(d).asLong();
            }
            g.tensor(t.get("name").asText(), GGMLType.valueOf(t.get("type").asText()).id, offset, dims);
            offset = (offset + data[i].length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        }
        for (byte[] d : data) {
            g.pad(ALIGNMENT).bytes(d);
        }
        return g.write(Files.createDirectories(dir), "reference.gguf");
    }

    /** An array: element type, count, elements; nested arrays as {element_type, values} objects. */
    private static void array(RawGGUF g, String elementType, JsonNode values) {
        GGUFValueType type = GGUFValueType.valueOf(elementType);
        g.u32(type.id).u64(values.size());
        for (JsonNode v : values) {
            if (type == GGUFValueType.ARRAY) {
                array(g, v.get("element_type").asText(), v.get("values"));
            } else {
                scalar(g, type, v);
            }
        }
    }

    private static void scalar(RawGGUF g, GGUFValueType type, JsonNode v) {
        switch (type) {
            case UINT8, INT8 -> g.u8(v.asInt());
            case UINT16, INT16 -> g.u16(v.asInt());
            case UINT32 -> g.u32((int) v.asLong());
            case INT32 -> g.u32(v.asInt());
            case FLOAT32 -> g.u32((int) v.asLong()); // recorded as the float's bit pattern
            case UINT64 -> g.u64(Long.parseUnsignedLong(v.asText()));
            case INT64 -> g.u64(Long.parseLong(v.asText()));
            case FLOAT64 -> g.u64(Double.doubleToRawLongBits(Double.parseDouble(v.asText())));
            case BOOL -> g.u8(v.asBoolean() ? 1 : 0);
            case STRING -> g.str(v.asText());
            case ARRAY -> throw new IllegalArgumentException("nested ARRAY handled by array()");
        }
    }
}
