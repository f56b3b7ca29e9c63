package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K: super-blocks of 256 elements in 176 bytes: F16 {@code d} (byte 0), F16 {@code dmin}
 * (byte 2), 12 bytes of packed 6-bit scales and mins of the eight 32-element sub-blocks (byte 4,
 * see {@link KQuants}), 32 bytes {@code qh} of high bits (byte 16), then 128 bytes of low nibbles
 * (byte 48) laid out as in {@link Q4_K}.
 *
 * <p>The 5th bit of element {@code i} of sub-block {@code j} is bit {@code j} of
 * {@code qh[i % 32]}: byte {@code l} of {@code qh} holds the high bits of elements {@code l},
 * {@code l + 32}, ..., {@code l + 224}. The element is {@code (d * sc[j]) * q - dmin * m[j]} with
 * {@code q = nibble + 16 * bit}.
 */
public final class Q5_K implements BlockFormat {
    public static final int BLOCK = KQuants.QK;
    public static final int BYTES = 176;
    static final int SCALES = 4;
    static final int QH = 16;
    static final int QS = 48;

    @Override
    public GGMLType type() {
        return GGMLType.Q5_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            long block = offset + (long) b * BYTES;
            float d = F16.get(src, block);
            float dmin = F16.get(src, block + 2);
            for (int i = 0; i < BLOCK; i++) {
                int j = i / 32;
                int g = i / 64;
                int q = KQuants.u8(src, block + QS + 32 * g + i % 32);
                int nibble = (i % 64) < 32 ? q & 0x0F : q >>> 4;
                int high = (KQuants.u8(src, block + QH + i % 32) >>> j) & 1;
                float dj = d * KQuants.scale(src, block + SCALES, j);
                float mj = dmin * KQuants.min(src, block + SCALES, j);
                dst[dstOffset + b * BLOCK + i] = dj * (nibble + 16 * high) - mj;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            long block = offset + (long) b * BYTES;
            KQuants.ScaleMin s = KQuants.quantizeScaleMin(src, srcOffset + b * BLOCK, 31);
            F16.set(dst, block, s.d());
            F16.set(dst, block + 2, s.dmin());
            KQuants.packScalesAndMins(s.scales(), s.mins(), dst, block + SCALES);
            int[] qh = new int[32];
            for (int i = 0; i < BLOCK; i++) {
                qh[i % 32] |= (s.levels()[i] >>> 4) << (i / 32);
            }
            for (int l = 0; l < 32; l++) {
                KQuants.put(dst, block + QH + l, qh[l]);
            }
            for (int g = 0; g < 4; g++) {
                for (int l = 0; l < 32; l++) {
                    int lo = s.levels()[64 * g + l] & 0x0F;
                    int hi = s.levels()[64 * g + 32 + l] & 0x0F;
                    KQuants.put(dst, block + QS + 32 * g + l, lo | hi << 4);
                }
            }
        }
    }
}
