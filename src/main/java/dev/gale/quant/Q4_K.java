package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: super-blocks of 256 elements in 144 bytes: F16 {@code d} (byte 0), F16 {@code dmin}
 * (byte 2), 12 bytes of packed 6-bit scales and mins of the eight 32-element sub-blocks (byte 4,
 * see {@link KQuants}), then 128 bytes of 4-bit levels (byte 16).
 *
 * <p>The levels come in four groups of 32 bytes, one per 64 elements: byte {@code l} of group
 * {@code g} holds element {@code 64g + l} (sub-block {@code 2g}) in its low nibble and element
 * {@code 64g + 32 + l} (sub-block {@code 2g + 1}) in its high nibble. Element {@code i} of
 * sub-block {@code j} is {@code (d * sc[j]) * q[i] - dmin * m[j]}, evaluated in that order.
 */
public final class Q4_K implements BlockFormat {
    public static final int BLOCK = KQuants.QK;
    public static final int BYTES = 144;
    static final int SCALES = 4;
    static final int QS = 16;

    @Override
    public GGMLType type() {
        return GGMLType.Q4_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            long block = offset + (long) b * BYTES;
            float d = F16.get(src, block);
            float dmin = F16.get(src, block + 2);
            for (int i = 0; i < BLOCK; i++) {
                int j = i / 32; // sub-block
                int g = i / 64; // group of 32 bytes
                int q = KQuants.u8(src, block + QS + 32 * g + i % 32);
                int level = (i % 64) < 32 ? q & 0x0F : q >>> 4;
                float dj = d * KQuants.scale(src, block + SCALES, j);
                float mj = dmin * KQuants.min(src, block + SCALES, j);
                dst[dstOffset + b * BLOCK + i] = dj * level - mj;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            long block = offset + (long) b * BYTES;
            KQuants.ScaleMin s = KQuants.quantizeScaleMin(src, srcOffset + b * BLOCK, 15);
            F16.set(dst, block, s.d());
            F16.set(dst, block + 2, s.dmin());
            KQuants.packScalesAndMins(s.scales(), s.mins(), dst, block + SCALES);
            for (int g = 0; g < 4; g++) {
                for (int l = 0; l < 32; l++) {
                    int lo = s.levels()[64 * g + l];
                    int hi = s.levels()[64 * g + 32 + l];
                    KQuants.put(dst, block + QS + 32 * g + l, lo | hi << 4);
                }
            }
        }
    }
}
