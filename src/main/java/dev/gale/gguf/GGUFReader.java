package dev.gale.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A cursor over a mapped GGUF file that checks every read against the end of the file and every
 * count against the bytes that remain, so that no hostile value can make it read out of bounds,
 * and that charges every object it decodes against a heap budget, so that no file can make it
 * allocate more than the budget (a quarter of the heap at most) however large the file is.
 */
final class GGUFReader {
    /** Smallest tensor info: name length, a one-byte name, n_dims, one dim, type, offset. */
    static final long MIN_TENSOR_INFO_SIZE = 8 + 1 + 4 + 8 + 4 + 8;
    /** Smallest key/value pair: key length, a one-byte key, value type, a one-byte value. */
    static final long MIN_KV_SIZE = 8 + 1 + 4 + 1;
    /** GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Longest key or tensor name accepted (the GGUF specification's limit for keys). */
    static final int MAX_NAME_BYTES = 65_535;
    /** Most elements in one metadata array: the largest Java array. */
    static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Deepest nesting of arrays (an array of arrays of scalars is depth 2). */
    static final int MAX_ARRAY_DEPTH = 8;
    /** The most heap the decoded metadata may take: 1 GiB, and never more than a quarter of the heap. */
    static final long DEFAULT_BUDGET = Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);

    /** Heap charged per object: header, fields and references, rounded up. */
    static final int OBJECT_COST = 64;
    /** Heap charged per metadata entry or tensor info besides its strings: map entry, record, boxed value. */
    static final int ENTRY_COST = 160;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment seg;
    private final long budget;
    private long pos;
    private long charged;

    GGUFReader(Path path, MemorySegment seg, long budget) {
        this.path = path;
        this.seg = seg;
        this.budget = budget;
    }

    long position() {
        return pos;
    }

    GGUFException error(String field, long offset, String problem) {
        return new GGUFException(path, field, offset, problem);
    }

    private long remaining() {
        return seg.byteSize() - pos;
    }

    private void need(long bytes, String field) throws GGUFException {
        if (bytes > remaining()) {
            throw error(field, pos, "file is truncated (needs " + bytes + " bytes, " + remaining() + " left)");
        }
    }

    /** Charges {@code bytes} of heap before they are allocated. */
    void charge(long bytes, String field, long offset) throws GGUFException {
        charged += bytes;
        if (charged > budget) {
            throw error(field, offset, "metadata needs more than " + (budget >> 20) + " MiB of heap (a quarter of the "
                    + "heap, at most 1 GiB); the file is hostile, or Java needs more memory (-Xmx)");
        }
    }

    int u32(String field) throws GGUFException {
        need(4, field);
        int v = seg.get(I32, pos);
        pos += 4;
        return v;
    }

    long i64(String field) throws GGUFException {
        need(8, field);
        long v = seg.get(I64, pos);
        pos += 8;
        return v;
    }

    /** A uint64 count, each element of which needs at least {@code minElementSize} more bytes. */
    long count(String field, long minElementSize) throws GGUFException {
        long at = pos;
        long n = i64(field);
        if (n < 0 || n > remaining() / minElementSize) {
            throw error(field, at, "count " + Long.toUnsignedString(n) + " is impossible: the " + remaining()
                    + " bytes left in the file could hold at most " + remaining() / minElementSize);
        }
        return n;
    }

    /** A string of at most {@code maxBytes} bytes; invalid UTF-8 is decoded with replacement characters. */
    String string(String field, long maxBytes) throws GGUFException {
        long at = pos;
        long len = i64(field + " length");
        if (len < 0 || len > remaining()) {
            throw error(field, at, "string length " + Long.toUnsignedString(len) + " runs past the end of the file ("
                    + remaining() + " bytes left)");
        }
        if (len > maxBytes) {
            throw error(field, at, "string length " + len + " is above the limit of " + maxBytes + " bytes");
        }
        // the String (at most two bytes a char, and a char per byte) and the bytes it is decoded from
        charge(3 * len + OBJECT_COST, field, at);
        byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    String string(String field) throws GGUFException {
        return string(field, MAX_ARRAY_ELEMENTS);
    }

    /** A metadata key or tensor name: not empty, at most {@link #MAX_NAME_BYTES} bytes. */
    String name(String field) throws GGUFException {
        long at = pos;
        String s = string(field, MAX_NAME_BYTES);
        if (s.isEmpty()) {
            throw error(field, at, "empty name");
        }
        return s;
    }

    GGUFValueType valueType(String field) throws GGUFException {
        long at = pos;
        int id = u32(field + " type");
        GGUFValueType t = GGUFValueType.fromId(id);
        if (t == null) {
            throw error(field + " type", at, "unknown metadata value type " + Integer.toUnsignedString(id));
        }
        return t;
    }

    /** A value: its type, then the value. The GGUFValue's offset is that of the value, after the type. */
    GGUFValue value(String key, long keyOffset) throws GGUFException {
        charge(ENTRY_COST, key, keyOffset);
        GGUFValueType type = valueType(key);
        long at = pos;
        return new GGUFValue(type, scalarOrArray(key, type), at);
    }

    private Object scalarOrArray(String key, GGUFValueType type) throws GGUFException {
        return switch (type) {
            case UINT8 -> { need(1, key); yield seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF; }
            case INT8 -> { need(1, key); yield (int) seg.get(ValueLayout.JAVA_BYTE, pos++); }
            case UINT16 -> { need(2, key); int v = seg.get(I16, pos) & 0xFFFF; pos += 2; yield v; }
            case INT16 -> { need(2, key); int v = seg.get(I16, pos); pos += 2; yield v; }
            case UINT32 -> Integer.toUnsignedLong(u32(key));
            case INT32 -> u32(key);
            case UINT64, INT64 -> i64(key);
            case FLOAT32 -> { need(4, key); float v = seg.get(F32, pos); pos += 4; yield v; }
            case FLOAT64 -> { need(8, key); double v = seg.get(F64, pos); pos += 8; yield v; }
            case BOOL -> { need(1, key); yield bool(key); }
            case STRING -> string(key);
            case ARRAY -> array(key, 1);
        };
    }

    private boolean bool(String field) throws GGUFException {
        byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
        if (b != 0 && b != 1) {
            throw error(field, pos, "bool value must be 0 or 1, found " + (b & 0xFF));
        }
        pos++;
        return b == 1;
    }

    private GGUFArray array(String key, int depth) throws GGUFException {
        long typeAt = pos;
        if (depth > MAX_ARRAY_DEPTH) {
            throw error(key, typeAt, "arrays nested more than " + MAX_ARRAY_DEPTH + " deep");
        }
        GGUFValueType et = valueType(key + " element");
        long at = pos;
        long n = count(key + " element count", et.minEncodedSize());
        if (n > MAX_ARRAY_ELEMENTS) {
            throw error(key + " element count", at, "array of " + n + " elements is larger than the limit "
                    + MAX_ARRAY_ELEMENTS);
        }
        int len = (int) n;
        // the elements (references for strings and arrays), then the Java array and the GGUFArray
        charge(n * (et.size == 0 ? 8 : et.size) + 2L * OBJECT_COST, key, typeAt);
        switch (et) {
            case UINT8, INT8 -> {
                byte[] a = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
                pos += n;
                return new GGUFArray(et, a);
            }
            case UINT16, INT16 -> {
                short[] a = new short[len];
                MemorySegment.copy(seg, I16, pos, a, 0, len);
                pos += 2 * n;
                return new GGUFArray(et, a);
            }
            case UINT32, INT32 -> {
                int[] a = new int[len];
                MemorySegment.copy(seg, I32, pos, a, 0, len);
                pos += 4 * n;
                return new GGUFArray(et, a);
            }
            case UINT64, INT64 -> {
                long[] a = new long[len];
                MemorySegment.copy(seg, I64, pos, a, 0, len);
                pos += 8 * n;
                return new GGUFArray(et, a);
            }
            case FLOAT32 -> {
                float[] a = new float[len];
                MemorySegment.copy(seg, F32, pos, a, 0, len);
                pos += 4 * n;
                return new GGUFArray(et, a);
            }
            case FLOAT64 -> {
                double[] a = new double[len];
                MemorySegment.copy(seg, F64, pos, a, 0, len);
                pos += 8 * n;
                return new GGUFArray(et, a);
            }
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) {
                    a[i] = bool(key + "[" + i + "]");
                }
                return new GGUFArray(et, a);
            }
            case STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) {
                    a[i] = string(key + "[" + i + "]");
                }
                return new GGUFArray(et, a);
            }
            case ARRAY -> {
                GGUFArray[] a = new GGUFArray[len];
                for (int i = 0; i < len; i++) {
                    a[i] = array(key + "[" + i + "]", depth + 1);
                }
                return new GGUFArray(et, a);
            }
        }
        throw new AssertionError(et);
    }

    GGUFTensorInfo tensorInfo(long index) throws GGUFException {
        long at = pos;
        charge(ENTRY_COST, "tensor #" + index, at);
        String name = name("tensor #" + index + " name");
        String field = "tensor '" + name + "'";
        long nDimsAt = pos;
        int nDims = u32(field + " n_dims");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw error(field + " n_dims", nDimsAt, "n_dims " + Integer.toUnsignedString(nDims) + " is not in [1, "
                    + MAX_DIMS + "]");
        }
        long dimsAt = pos;
        long[] dims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dimAt = pos;
            dims[d] = i64(field + " dim " + d);
            if (dims[d] <= 0) {
                throw error(field + " dim " + d, dimAt, "dimension " + Long.toUnsignedString(dims[d]) + " must be positive");
            }
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw error(field + " dims", dimsAt, "the element count overflows int64");
            }
        }
        long typeAt = pos;
        int typeId = u32(field + " type");
        GGMLType type = GGMLType.fromId(typeId);
        if (type == null) {
            throw error(field + " type", typeAt, "unknown tensor type " + Integer.toUnsignedString(typeId));
        }
        if (dims[0] % type.blockSize != 0) {
            throw error(field + " dim 0", dimsAt, "row length " + dims[0] + " is not a multiple of the " + type
                    + " block size " + type.blockSize);
        }
        long offsetAt = pos;
        long offset = i64(field + " offset");
        if (offset < 0) {
            throw error(field + " offset", offsetAt, "offset " + Long.toUnsignedString(offset) + " is past any file");
        }
        long bytes;
        try {
            bytes = type.byteSize(elements);
        } catch (ArithmeticException e) {
            throw error(field + " dims", dimsAt, "the byte size overflows int64");
        }
        return new GGUFTensorInfo(name, type, dims, offset, bytes, at, offsetAt);
    }
}
