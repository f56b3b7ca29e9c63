package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** F32: 4-byte little-endian IEEE floats. */
public final class F32 implements BlockFormat {
    static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public GGMLType type() {
        return GGMLType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        blocks(n);
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = src.get(LE, offset + 4L * i);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long offset) {
        blocks(n);
        for (int i = 0; i < n; i++) {
            dst.set(LE, offset + 4L * i, src[srcOffset + i]);
        }
    }
}
