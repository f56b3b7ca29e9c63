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

    /** Encodes a whole array into a new heap segment. */
    default MemorySegment quantize(float[] src) {
        MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(type().byteSize(src.length))]);
        quantize(src, 0, src.length, dst, 0);
        return dst;
    }

    /** Decodes a whole segment. */
    default float[] dequantize(MemorySegment src) {
        int n = Math.toIntExact(src.byteSize() / type().typeSize * type().blockSize);
        float[] out = new float[n];
        dequantize(src, 0, out, 0, n);
        return out;
    }
}
