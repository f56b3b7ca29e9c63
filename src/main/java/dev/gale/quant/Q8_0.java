package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_0: blocks of 32 elements, 34 bytes: an F16 scale {@code d}, then 32 signed bytes {@code q}.
 * Element {@code i} is {@code d * q[i]}. Quantizing is ggml's reference {@code quantize_row_q8_0_ref}:
 * {@code d = max|x| / 127}, {@code q = roundf(x / d)}.
 */
public final class Q8_0 implements BlockFormat {
    public static final int BLOCK = 32;
    public static final int BYTES = 34;

    @Override
    public GGMLType type() {
        return GGMLType.Q8_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            long block = offset + (long) b * BYTES;
            float d = F16.get(src, block);
            for (int i = 0; i < BLOCK; i++) {
                dst[dstOffset + b * BLOCK + i] = d * src.get(ValueLayout.JAVA_BYTE, block + 2 + i);
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            int x = srcOffset + b * BLOCK;
            long block = offset + (long) b * BYTES;
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) {
                amax = Math.max(amax, Math.abs(src[x + i]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            F16.set(dst, block, d);
            for (int i = 0; i < BLOCK; i++) {
                dst.set(ValueLayout.JAVA_BYTE, block + 2 + i, (byte) roundHalfAway(src[x + i] * id));
            }
        }
    }

    /** C's {@code roundf}: to the nearest integer, halves away from zero (Math.round takes -2.5 to -2). */
    static int roundHalfAway(float v) {
        return v < 0 ? -Math.round(-v) : Math.round(v);
    }
}
