package dev.gale.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A cursor over a mapped GGUF file that checks every read against the end of the file and every
 * count against the bytes that remain, so that no hostile value can make it read out of bounds
 * or allocate more than the file could hold.
 */
final class GGUFReader {
    /** Smallest tensor info: name length, n_dims, one dim, type, offset. */
    static final long MIN_TENSOR_INFO_SIZE = 8 + 4 + 8 + 4 + 8;
    /** Smallest key/value pair: key length, value type, a one-byte value. */
    static final long MIN_KV_SIZE = 8 + 4 + 1;
    /** GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Longest key or tensor name accepted. */
    static final int MAX_NAME_BYTES = 65_535;
    /** Most elements in one metadata array (vocabularies hold a few hundred thousand). */
    static final long MAX_ARRAY_ELEMENTS = 1L << 26;
    /** Deepest nesting of arrays. */
    static final int MAX_ARRAY_DEPTH = 8;
    /** Most bytes of metadata decoded onto the heap in all. */
    static final long MAX_METADATA_BYTES = 1L << 30;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment seg;
    private long pos;
    private long decodedBytes;

    GGUFReader(Path path, MemorySegment seg) {
        this.path = path;
        this.seg = seg;
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

    private void charge(long bytes, String field, long offset) throws GGUFException {
        decodedBytes += bytes;
        if (decodedBytes > MAX_METADATA_BYTES) {
            throw error(field, offset, "metadata is larger than " + (MAX_METADATA_BYTES >> 20) + " MiB");
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

    String string(String field) throws GGUFException {
        long at = pos;
        long len = i64(field + " length");
        if (len < 0 || len > remaining()) {
            throw error(field, at, "string length " + Long.toUnsignedString(len) + " runs past the end of the file ("
                    + remaining() + " bytes left)");
        }
        if (len > Integer.MAX_VALUE - 16) {
            throw error(field, at, "string length " + len + " is too large");
        }
        charge(len + 16, field, at);
        byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            // GGUF strings should be UTF-8; vocabularies occasionally are not. Keep going, leniently.
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private String name(String field) throws GGUFException {
        long at = pos;
        String s = string(field);
        if (s.isEmpty() || s.length() > MAX_NAME_BYTES) {
            throw error(field, at, s.isEmpty() ? "empty name" : "name is longer than " + MAX_NAME_BYTES + " bytes");
        }
        return s;
    }

    GGUFValueType valueType(String field) throws GGUFException {
        long at = pos;
        int id = u32(field + " type");
        GGUFValueType t = GGUFValueType.fromId(id);
        if (t == null) {
            throw error(field, at, "unknown metadata value type " + Integer.toUnsignedString(id));
        }
        return t;
    }

    GGUFValue value(String key) throws GGUFException {
        GGUFValueType type = valueType(key);
        long at = pos;
        return new GGUFValue(type, scalarOrArray(key, type, 0), at);
    }

    private Object scalarOrArray(String key, GGUFValueType type, int depth) throws GGUFException {
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
            case BOOL -> {
                need(1, key);
                byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                if (b != 0 && b != 1) {
                    throw error(key, pos, "bool value must be 0 or 1, found " + b);
                }
                pos++;
                yield b == 1;
            }
            case STRING -> string(key);
            case ARRAY -> array(key, depth);
        };
    }

    private GGUFArray array(String key, int depth) throws GGUFException {
        if (depth >= MAX_ARRAY_DEPTH) {
            throw error(key, pos, "arrays nested more than " + MAX_ARRAY_DEPTH + " deep");
        }
        GGUFValueType et = valueType(key + " element");
        long at = pos;
        long n = count(key + " element count", et.minEncodedSize());
        if (n > MAX_ARRAY_ELEMENTS) {
            throw error(key, at, "array of " + n + " elements is larger than the limit " + MAX_ARRAY_ELEMENTS);
        }
        int len = (int) n;
        charge(n * Math.max(et.size, 8), key, at);
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
                    a[i] = (Boolean) scalarOrArray(key, et, depth);
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
        String name = name("tensor #" + index + " name");
        String field = "tensor '" + name + "'";
        long dimsAt = pos;
        int nDims = u32(field + " n_dims");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw error(field + " n_dims", dimsAt, "n_dims " + Integer.toUnsignedString(nDims) + " is not in [1, "
                    + MAX_DIMS + "]");
        }
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
                throw error(field + " dims", dimsAt, "element count overflows");
            }
        }
        long typeAt = pos;
        int typeId = u32(field + " type");
        GGMLType type = GGMLType.fromId(typeId);
        if (type == null) {
            throw error(field + " type", typeAt, "unknown tensor type " + Integer.toUnsignedString(typeId));
        }
        if (dims[0] % type.blockSize != 0) {
            throw error(field + " dim 0", dimsAt + 4, "row length " + dims[0] + " is not a multiple of the " + type
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
            throw error(field + " dims", dimsAt, "byte size overflows");
        }
        return new GGUFTensorInfo(name, type, dims, offset, bytes, at);
    }
}
