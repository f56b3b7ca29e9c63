package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;

/**
 * The plain, scalar definition of one GGML tensor type: how a block of bytes becomes floats and
 * back. This is the reference every backend's kernels are tested against.
 */
public interface BlockFormat {

    GGMLType type();

    /**
     * Decodes {@code n} elements (a multiple of the block size) starting at byte {@code offset}
     * of {@code src} into {@code dst[dstOffset ..]}.
     */
    void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n);

    /**
     * Encodes {@code n} elements (a multiple of the block size) of {@code src[srcOffset ..]} into
     * {@code dst} at byte {@code offset}.
     */
    void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset);

    /**
     * The number of blocks in {@code n} elements.
     *
     * @throws IllegalArgumentException if {@code n} is negative or not a multiple of the block size
     */
    default int blocks(int n) {
        int size = type().blockSize;
        if (n < 0 || n % size != 0) {
            throw new IllegalArgumentException(n + " elements is not a whole number of " + type() + " blocks of "
                    + size);
        }
        return n / size;
    }

    /** Encodes a whole array into a new heap segment. */
    default MemorySegment quantize(float[] src) {
        MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(type().byteSize(src.length))]);
        quantize(src, 0, src.length, dst, 0);
        return dst;
    }

    /** Decodes a whole segment, which must hold whole blocks. */
    default float[] dequantize(MemorySegment src) {
        if (src.byteSize() % type().typeSize != 0) {
            throw new IllegalArgumentException(src.byteSize() + " bytes is not a whole number of " + type()
                    + " blocks of " + type().typeSize + " bytes");
        }
        int n = Math.toIntExact(src.byteSize() / type().typeSize * type().blockSize);
        float[] out = new float[n];
        dequantize(src, 0, out, 0, n);
        return out;
    }
}
