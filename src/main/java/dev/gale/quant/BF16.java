package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;

/** BF16: the upper 16 bits of an IEEE float. Encoding rounds to nearest even, as GGML does. */
public final class BF16 implements BlockFormat {

    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short fromFloat(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) { // NaN: keep it a quiet NaN
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
    }

    @Override
    public GGMLType type() {
        return GGMLType.BF16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        blocks(n);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = toFloat(src.get(F16.LE, offset + 2L * i));
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        blocks(n);
        for (int i = 0; i < n; i++) {
            dst.set(F16.LE, offset + 2L * i, fromFloat(src[srcOffset + i]));
        }
    }
}
