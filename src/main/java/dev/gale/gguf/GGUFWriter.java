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
 * Writes GGUF files (version 3, or 2 on request; both have the same little-endian layout):
 * metadata, tensor infos and tensor data, each tensor aligned to {@code general.alignment}. Used by
 * the tests and by tasks/ to make small models.
 *
 * <p>It writes only files that Gale and llama.cpp accept: keys and tensor names must be non-empty
 * (tensor names shorter than 64 bytes, ggml's GGML_MAX_NAME), tensor names unique, dims 1 to 4
 * positive sizes with a row length that is a multiple of the type's block size, arrays nested at
 * most 8 deep, and {@code general.alignment} a UINT32 power of two. Breaking a rule throws
 * IllegalArgumentException when the key or tensor is added.
 */
public final class GGUFWriter {
    private final Map<String, GGUFValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int version = 3;

    private record Tensor(String name, GGMLType type, long[] dims, long bytes, Supplier<MemorySegment> data) {
    }

    /** GGML_MAX_NAME: tensor names must be shorter. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;

    /** The GGUF version written in the header: 3 (the default) or 2. */
    public GGUFWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version " + version + " cannot be written; use 2 or 3");
        }
        this.version = version;
        return this;
    }

    /** Adds (or replaces, keeping its place) a metadata key. */
    public GGUFWriter put(String key, GGUFValue value) {
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes == 0 || keyBytes > GGUFReader.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("metadata key '" + key + "' must have 1 to " + GGUFReader.MAX_NAME_BYTES
                    + " bytes");
        }
        if (key.equals("general.alignment")) {
            long a = value.type() == GGUFValueType.UINT32 ? (Long) value.value() : -1;
            if (a <= 0 || a > GGUFFile.MAX_ALIGNMENT || Long.bitCount(a) != 1) {
                throw new IllegalArgumentException("general.alignment must be a UINT32 power of two up to "
                        + GGUFFile.MAX_ALIGNMENT + ", found " + value.type() + " " + value);
            }
        }
        if (value.value() instanceof GGUFArray a && depth(a) > GGUFReader.MAX_ARRAY_DEPTH) {
            throw new IllegalArgumentException("metadata key '" + key + "': arrays nested more than "
                    + GGUFReader.MAX_ARRAY_DEPTH + " deep");
        }
        metadata.put(key, value);
        return this;
    }

    private static int depth(GGUFArray a) {
        int inner = 0;
        if (a.elementType() == GGUFValueType.ARRAY) {
            for (GGUFArray e : a.arrays()) {
                inner = Math.max(inner, depth(e));
            }
        }
        return 1 + inner;
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
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must have 1 to " + MAX_TENSOR_NAME_BYTES
                    + " bytes");
        }
        for (Tensor t : tensors) {
            if (t.name.equals(name)) {
                throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
            }
        }
        if (dims.length < 1 || dims.length > GGUFReader.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' must have 1 to " + GGUFReader.MAX_DIMS
                    + " dims, found " + dims.length);
        }
        long elements = 1;
        for (long d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has dims " + java.util.Arrays.toString(dims)
                        + "; each must be positive");
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (dims[0] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' row length " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        tensors.add(new Tensor(name, type, dims.clone(), type.byteSize(elements), data));
        return this;
    }

    /** Removes a tensor added before, if there is one by that name. */
    public GGUFWriter removeTensor(String name) {
        tensors.removeIf(t -> t.name.equals(name));
        return this;
    }

    public GGUFWriter addTensor(String name, GGMLType type, long[] dims, byte[] data) {
        return addTensor(name, type, dims, MemorySegment.ofArray(data));
    }

    private int alignment() {
        GGUFValue a = metadata.get("general.alignment");
        return a == null ? GGUFFile.DEFAULT_ALIGNMENT : (int) (long) (Long) a.value();
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
