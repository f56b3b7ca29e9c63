package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_0: blocks of 32 elements, 18 bytes: an F16 scale {@code d}, then 16 bytes of 4-bit values.
 * Byte {@code j} holds element {@code j} in its low nibble and element {@code j + 16} in its high
 * nibble; element value is {@code d * (nibble - 8)}. Quantizing is ggml's reference
 * {@code quantize_row_q4_0_ref}: {@code d = m / -8} where {@code m} is the element of largest
 * magnitude, {@code nibble = min(15, trunc(x / d + 8.5))}.
 */
public final class Q4_0 implements BlockFormat {
    public static final int BLOCK = 32;
    public static final int BYTES = 18;

    @Override
    public GGMLType type() {
        return GGMLType.Q4_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            long block = offset + (long) b * BYTES;
            float d = F16.get(src, block);
            int y = dstOffset + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, block + 2 + j) & 0xFF;
                dst[y + j] = d * ((q & 0x0F) - 8);
                dst[y + j + BLOCK / 2] = d * ((q >>> 4) - 8);
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            int x = srcOffset + b * BLOCK;
            long block = offset + (long) b * BYTES;
            float amax = 0;
            float max = 0;
            for (int i = 0; i < BLOCK; i++) {
                if (Math.abs(src[x + i]) > amax) {
                    amax = Math.abs(src[x + i]);
                    max = src[x + i];
                }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            F16.set(dst, block, d);
            for (int j = 0; j < BLOCK / 2; j++) {
                int lo = Math.min(15, (int) (src[x + j] * id + 8.5f));
                int hi = Math.min(15, (int) (src[x + j + BLOCK / 2] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, block + 2 + j, (byte) (lo | (hi << 4)));
            }
        }
    }
}
