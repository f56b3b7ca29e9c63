package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K: super-blocks of 256 elements in 210 bytes: 128 bytes {@code ql} of low nibbles (byte 0),
 * 64 bytes {@code qh} of 2-bit high parts (byte 128), 16 signed 8-bit scales of the 16-element
 * sub-blocks (byte 192), and F16 {@code d} (byte 208). Element {@code i} is
 * {@code (d * scales[i / 16]) * (q - 32)} with the 6-bit {@code q = low | high << 4}.
 *
 * <p>Each half {@code h} of 128 elements uses 64 bytes of {@code ql} and 32 of {@code qh}. Element
 * {@code 128h + 32k + l} ({@code k} = 0..3, {@code l} = 0..31) takes its low 4 bits from
 * {@code ql[64h + l + 32 * (k % 2)]} (low nibble for k &lt; 2, high for k &ge; 2) and its high 2
 * bits from bits {@code 2k, 2k + 1} of {@code qh[32h + l]}.
 */
public final class Q6_K implements BlockFormat {
    public static final int BLOCK = KQuants.QK;
    public static final int BYTES = 210;
    static final int QL = 0;
    static final int QH = 128;
    static final int SCALES = 192;
    static final int D = 208;

    @Override
    public GGMLType type() {
        return GGMLType.Q6_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            long block = offset + (long) b * BYTES;
            float d = F16.get(src, block + D);
            for (int i = 0; i < BLOCK; i++) {
                int h = i / 128;
                int k = (i % 128) / 32;
                int l = i % 32;
                int low = KQuants.u8(src, block + QL + 64 * h + l + 32 * (k % 2));
                low = k < 2 ? low & 0x0F : low >>> 4;
                int high = (KQuants.u8(src, block + QH + 32 * h + l) >>> (2 * k)) & 3;
                int scale = src.get(ValueLayout.JAVA_BYTE, block + SCALES + i / 16);
                dst[dstOffset + b * BLOCK + i] = d * scale * ((low | high << 4) - 32);
            }
        }
    }

    /**
     * Symmetric quantization: each 16-element sub-block's step is its largest magnitude / 31, so
     * levels -31..31 cover it; the steps become 8-bit scales (0..127) of {@code d}, rounded up
     * (and {@code d} is F16 rounded up) so that no value falls outside the range.
     */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        for (int b = 0, nb = blocks(n); b < nb; b++) {
            int x = srcOffset + b * BLOCK;
            long block = offset + (long) b * BYTES;
            float[] step = new float[BLOCK / 16];
            float maxStep = 0;
            for (int j = 0; j < step.length; j++) {
                float amax = 0;
                for (int i = 0; i < 16; i++) {
                    amax = Math.max(amax, Math.abs(src[x + 16 * j + i]));
                }
                step[j] = amax / 31;
                maxStep = Math.max(maxStep, step[j]);
            }
            float d = KQuants.halfAtLeast(maxStep / 127);
            F16.set(dst, block + D, d);
            int[] q = new int[BLOCK];
            for (int j = 0; j < step.length; j++) {
                int scale = d > 0 ? Math.min(127, (int) Math.ceil(step[j] / d)) : 0;
                dst.set(ValueLayout.JAVA_BYTE, block + SCALES + j, (byte) scale);
                float dj = d * scale;
                for (int i = 0; i < 16; i++) {
                    int level = dj > 0 ? Math.round(src[x + 16 * j + i] / dj) : 0;
                    q[16 * j + i] = Math.clamp(level, -32, 31) + 32;
                }
            }
            int[] ql = new int[QH - QL];
            int[] qh = new int[SCALES - QH];
            for (int i = 0; i < BLOCK; i++) {
                int h = i / 128;
                int k = (i % 128) / 32;
                int l = i % 32;
                int low = q[i] & 0x0F;
                ql[64 * h + l + 32 * (k % 2)] |= k < 2 ? low : low << 4;
                qh[32 * h + l] |= (q[i] >>> 4) << (2 * k);
            }
            for (int i = 0; i < ql.length; i++) {
                KQuants.put(dst, block + QL + i, ql[i]);
            }
            for (int i = 0; i < qh.length; i++) {
                KQuants.put(dst, block + QH + i, qh[i]);
            }
        }
    }
}
