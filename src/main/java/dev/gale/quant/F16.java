package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** F16: 2-byte IEEE half-precision floats. */
public final class F16 implements BlockFormat {
    static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads the half at byte {@code offset}. */
    public static float get(MemorySegment src, long offset) {
        return Float.float16ToFloat(src.get(LE, offset));
    }

    public static void set(MemorySegment dst, long offset, float v) {
        dst.set(LE, offset, Float.floatToFloat16(v));
    }

    @Override
    public GGMLType type() {
        return GGMLType.F16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        blocks(n);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = get(src, offset + 2L * i);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        blocks(n);
        for (int i = 0; i < n; i++) {
            set(dst, offset + 2L * i, src[srcOffset + i]);
        }
    }
}
