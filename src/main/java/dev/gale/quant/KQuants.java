package dev.gale.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What the K-quant formats share: super-blocks of 256 elements, the 12 bytes in which Q4_K and
 * Q5_K pack the 6-bit scales and mins of their eight 32-element sub-blocks, and the plain
 * "scale and min" quantization of a super-block that both use.
 *
 * <p>Packing of sub-block {@code j}'s scale {@code sc[j]} and min {@code m[j]} (ggml's
 * {@code get_scale_min_k4}): for {@code j < 4}, byte {@code j} holds {@code sc[j]} and byte
 * {@code j + 4} holds {@code m[j]} in their low 6 bits. For {@code j >= 4}, byte {@code j + 4} holds
 * the low 4 bits of {@code sc[j]} (low nibble) and of {@code m[j]} (high nibble); their top 2 bits
 * sit in the top 2 bits of byte {@code j - 4} (scale) and byte {@code j} (min).
 */
public final class KQuants {
    /** Elements per super-block. */
    public static final int QK = 256;
    /** Bytes of packed scales and mins in Q4_K and Q5_K. */
    public static final int SCALES_BYTES = 12;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KQuants() {
    }

    /** The 6-bit scale of sub-block {@code j} (0..7) from the packed bytes at {@code off}. */
    public static int scale(MemorySegment s, long off, int j) {
        if (j < 4) {
            return u8(s, off + j) & 63;
        }
        return (u8(s, off + j + 4) & 0x0F) | ((u8(s, off + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j} (0..7) from the packed bytes at {@code off}. */
    public static int min(MemorySegment s, long off, int j) {
        if (j < 4) {
            return u8(s, off + j + 4) & 63;
        }
        return (u8(s, off + j + 4) >>> 4) | ((u8(s, off + j) >>> 6) << 4);
    }

    /**
     * All eight 6-bit scales of the packed bytes at {@code off} at once: byte {@code j} of the
     * result is {@link #scale}{@code (s, off, j)}. Bits 6-7 of bytes 0-3 become bits 4-5 of the
     * upper four scales, in place, by one shift of the whole word.
     */
    public static long packedScales(MemorySegment s, long off) {
        long lo = s.get(U32, off) & 0xFFFFFFFFL;
        long hi = s.get(U32, off + 8) & 0xFFFFFFFFL;
        return (lo & 0x3F3F3F3FL) | ((hi & 0x0F0F0F0FL) | ((lo >>> 2) & 0x30303030L)) << 32;
    }

    /** All eight 6-bit mins at once: byte {@code j} of the result is {@link #min}{@code (s, off, j)}. */
    public static long packedMins(MemorySegment s, long off) {
        long mid = s.get(U32, off + 4) & 0xFFFFFFFFL;
        long hi = s.get(U32, off + 8) & 0xFFFFFFFFL;
        return (mid & 0x3F3F3F3FL) | (((hi >>> 4) & 0x0F0F0F0FL) | ((mid >>> 2) & 0x30303030L)) << 32;
    }

    /** Writes eight 6-bit scales and mins as the 12 packed bytes at {@code off}. */
    static void packScalesAndMins(int[] sc, int[] m, MemorySegment dst, long off) {
        for (int j = 0; j < 4; j++) {
            put(dst, off + j, sc[j] | (sc[j + 4] >>> 4) << 6);
            put(dst, off + j + 4, m[j] | (m[j + 4] >>> 4) << 6);
            put(dst, off + j + 8, (sc[j + 4] & 0x0F) | (m[j + 4] & 0x0F) << 4);
        }
    }

    /**
     * A super-block quantized as {@code x ~ d * scales[j] * levels[i] - dmin * mins[j]} for element
     * {@code i} of sub-block {@code j = i / 32}. {@code d} and {@code dmin} are F16 values.
     */
    record ScaleMin(float d, float dmin, int[] scales, int[] mins, int[] levels) {
    }

    /**
     * Quantizes 256 elements of {@code x[at ..]} to levels 0..{@code nmax} with per-sub-block
     * scales and mins. Not llama.cpp's error-minimizing search, but every value lands within half a
     * step of its sub-block: each sub-block's offset is its lowest value (or 0 if all are positive)
     * and its step spans its range; the 6-bit scales and mins are rounded up against super-block
     * {@code d} and {@code dmin} (themselves F16 rounded up), so the range stays covered.
     */
    static ScaleMin quantizeScaleMin(float[] x, int at, int nmax) {
        int subBlocks = QK / 32;
        float[] offset = new float[subBlocks];
        float[] top = new float[subBlocks];
        float maxOffset = 0;
        for (int j = 0; j < subBlocks; j++) {
            float lo = 0;
            float hi = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < 32; i++) {
                lo = Math.min(lo, x[at + 32 * j + i]);
                hi = Math.max(hi, x[at + 32 * j + i]);
            }
            offset[j] = -lo;
            top[j] = hi;
            maxOffset = Math.max(maxOffset, offset[j]);
        }
        float dmin = halfAtLeast(maxOffset / 63);
        int[] mins = new int[subBlocks];
        float[] step = new float[subBlocks];
        float maxStep = 0;
        for (int j = 0; j < subBlocks; j++) {
            mins[j] = dmin > 0 ? Math.min(63, (int) Math.ceil(offset[j] / dmin)) : 0;
            step[j] = Math.max(0, (top[j] + dmin * mins[j]) / nmax);
            maxStep = Math.max(maxStep, step[j]);
        }
        float d = halfAtLeast(maxStep / 63);
        int[] scales = new int[subBlocks];
        int[] levels = new int[QK];
        for (int j = 0; j < subBlocks; j++) {
            scales[j] = d > 0 ? Math.min(63, (int) Math.ceil(step[j] / d)) : 0;
            float dj = d * scales[j];
            float mj = dmin * mins[j];
            for (int i = 0; i < 32; i++) {
                int q = dj > 0 ? Math.round((x[at + 32 * j + i] + mj) / dj) : 0;
                levels[32 * j + i] = Math.clamp(q, 0, nmax);
            }
        }
        return new ScaleMin(d, dmin, scales, mins, levels);
    }

    /** The smallest F16 value not below {@code v} (for {@code v >= 0}), as a float. */
    static float halfAtLeast(float v) {
        short h = Float.floatToFloat16(v);
        if (Float.float16ToFloat(h) < v) {
            h++;
        }
        return Float.float16ToFloat(h);
    }

    static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static void put(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
    }
}
