package dev.gale.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes GGUF version 3 files: metadata, tensor infos and tensor data, each tensor aligned to
 * {@code general.alignment}. Used by the tests and by tasks/ to make small models.
 */
public final class GGUFWriter {
    private final Map<String, GGUFValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int version = 3;

    private record Tensor(String name, GGMLType type, long[] dims, long bytes, Supplier<MemorySegment> data) {
    }

    public GGUFWriter version(int version) {
        this.version = version;
        return this;
    }

    public GGUFWriter put(String key, GGUFValue value) {
        metadata.put(key, value);
        return this;
    }

    public GGUFWriter putString(String key, String value) {
        return put(key, GGUFValue.string(value));
    }

    public GGUFWriter putUInt32(String key, long value) {
        return put(key, GGUFValue.uint32(value));
    }

    public GGUFWriter putFloat32(String key, float value) {
        return put(key, GGUFValue.float32(value));
    }

    public GGUFWriter putBool(String key, boolean value) {
        return put(key, GGUFValue.bool(value));
    }

    public GGUFWriter putArray(String key, GGUFValueType elementType, Object values) {
        return put(key, GGUFValue.array(elementType, values));
    }

    public GGUFWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /**
     * Adds a tensor. {@code dims} are innermost first (GGML order): a matrix with {@code rows}
     * outputs of {@code cols} inputs is {@code {cols, rows}}. {@code data} must hold exactly the
     * tensor's bytes in the type's layout.
     */
    public GGUFWriter addTensor(String name, GGMLType type, long[] dims, MemorySegment data) {
        return addTensor(name, type, dims, () -> data);
    }

    /**
     * Adds a tensor whose data is made only when the file is written, so that models larger than
     * memory can be written one tensor at a time.
     */
    public GGUFWriter addTensor(String name, GGMLType type, long[] dims, Supplier<MemorySegment> data) {
        long elements = 1;
        for (long d : dims) {
            elements = Math.multiplyExact(elements, d);
        }
        tensors.add(new Tensor(name, type, dims.clone(), type.byteSize(elements), data));
        return this;
    }

    public GGUFWriter addTensor(String name, GGMLType type, long[] dims, byte[] data) {
        return addTensor(name, type, dims, MemorySegment.ofArray(data));
    }

    private int alignment() {
        GGUFValue a = metadata.get("general.alignment");
        return a == null ? GGUFFile.DEFAULT_ALIGNMENT : ((Number) a.value()).intValue();
    }

    /** Writes the file. */
    public void write(Path path) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            write(out);
        }
    }

    public byte[] toBytes() {
        var out = new java.io.ByteArrayOutputStream();
        try {
            write(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public void write(OutputStream raw) throws IOException {
        Out out = new Out(raw);
        int alignment = alignment();
        out.i32(GGUFFile.MAGIC);
        out.i32(version);
        out.i64(tensors.size());
        out.i64(metadata.size());
        for (var e : metadata.entrySet()) {
            out.string(e.getKey());
            out.i32(e.getValue().type().id);
            out.value(e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name);
            out.i32(t.dims.length);
            for (long d : t.dims) {
                out.i64(d);
            }
            out.i32(t.type.id);
            out.i64(offset);
            offset = GGUFFile.alignUp(offset + t.bytes, alignment);
        }
        out.pad(alignment);
        for (Tensor t : tensors) {
            MemorySegment data = t.data.get();
            if (data.byteSize() != t.bytes) {
                throw new IllegalArgumentException(t.name + ": " + t.type + " " + java.util.Arrays.toString(t.dims)
                        + " needs " + t.bytes + " bytes, got " + data.byteSize());
            }
            out.bytes(data);
            out.pad(alignment);
        }
        out.flush();
    }

    /** Little-endian output that counts its position, for alignment padding. */
    private static final class Out {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        private long position;

        Out(OutputStream out) {
            this.out = out;
        }

        void i8(int v) throws IOException {
            out.write(v);
            position++;
        }

        void i16(int v) throws IOException {
            buf.clear();
            buf.putShort((short) v);
            out.write(buf.array(), 0, 2);
            position += 2;
        }

        void i32(int v) throws IOException {
            buf.clear();
            buf.putInt(v);
            out.write(buf.array(), 0, 4);
            position += 4;
        }

        void i64(long v) throws IOException {
            buf.clear();
            buf.putLong(v);
            out.write(buf.array(), 0, 8);
            position += 8;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.write(b);
            position += b.length;
        }

        void bytes(MemorySegment seg) throws IOException {
            byte[] chunk = new byte[1 << 16];
            for (long off = 0; off < seg.byteSize(); off += chunk.length) {
                int n = (int) Math.min(chunk.length, seg.byteSize() - off);
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, chunk, 0, n);
                out.write(chunk, 0, n);
                position += n;
            }
        }

        void pad(int alignment) throws IOException {
            while (position % alignment != 0) {
                i8(0);
            }
        }

        void flush() throws IOException {
            out.flush();
        }

        void value(GGUFValueType type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> i8(((Number) v).intValue());
                case UINT16, INT16 -> i16(((Number) v).intValue());
                case UINT32, INT32 -> i32(((Number) v).intValue());
                case UINT64, INT64 -> i64(((Number) v).longValue());
                case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> i8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> array((GGUFArray) v);
            }
        }

        void array(GGUFArray a) throws IOException {
            i32(a.elementType().id);
            int n = a.length();
            i64(n);
            Object vs = a.values();
            for (int i = 0; i < n; i++) {
                switch (a.elementType()) {
                    case UINT8, INT8 -> i8(((byte[]) vs)[i]);
                    case UINT16, INT16 -> i16(((short[]) vs)[i]);
                    case UINT32, INT32 -> i32(((int[]) vs)[i]);
                    case UINT64, INT64 -> i64(((long[]) vs)[i]);
                    case FLOAT32 -> i32(Float.floatToRawIntBits(((float[]) vs)[i]));
                    case FLOAT64 -> i64(Double.doubleToRawLongBits(((double[]) vs)[i]));
                    case BOOL -> i8(((boolean[]) vs)[i] ? 1 : 0);
                    case STRING -> string(((String[]) vs)[i]);
                    case ARRAY -> array(((GGUFArray[]) vs)[i]);
                }
            }
        }
    }
}
