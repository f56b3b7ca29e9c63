package dev.gale.gguf;

import java.util.Arrays;

/**
 * A tensor's entry in a GGUF file.
 *
 * @param dims          sizes, innermost (contiguous) first, as GGML stores them: a weight matrix of
 *                      {@code rows} outputs by {@code cols} inputs has dims {cols, rows}
 * @param dataOffset    offset of the tensor's data from the start of the file's data section
 * @param byteSize      bytes of data
 * @param infoOffset    byte offset of this entry (its name) in the file
 * @param offsetFieldAt byte offset of this entry's data offset field in the file
 */
public record GGUFTensorInfo(String name, GGMLType type, long[] dims, long dataOffset, long byteSize, long infoOffset,
                             long offsetFieldAt) {

    public GGUFTensorInfo {
        dims = dims.clone();
    }

    /** The sizes, innermost first (a copy). */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int nDims() {
        return dims.length;
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Size of the innermost dimension (the length of one row). */
    public long cols() {
        return dims[0];
    }

    /** Number of rows: the product of all dimensions but the innermost. */
    public long rows() {
        return elementCount() / dims[0];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GGUFTensorInfo t && name.equals(t.name) && type == t.type && Arrays.equals(dims, t.dims)
                && dataOffset == t.dataOffset && byteSize == t.byteSize && infoOffset == t.infoOffset
                && offsetFieldAt == t.offsetFieldAt;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
