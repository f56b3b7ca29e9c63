package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q6_K weights (see {@link dev.gale.quant.Q6_K}): per 256-element super-block 128 bytes of low
 * nibbles, 64 bytes of 2-bit high parts, 16 signed scales and F16 d. Each byte of {@code ql} and
 * {@code qh} serves several quarters of a 128-element half, so one load of each feeds four dots.
 */
final class Q6_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int BLOCK = 256;
    private static final int BYTES = 210;

    Q6_KMatrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(data.get(Layouts.I16, block + 208));
            for (int h = 0; h < 2; h++) {
                int xh = xOffset + b * BLOCK + 128 * h;
                for (int l = 0; l < 32; l += 8) {
                    ByteVector ql0 = ByteVector.fromMemorySegment(B, data, block + 64 * h + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector ql1 = ByteVector.fromMemorySegment(B, data, block + 64 * h + 32 + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector qh = ByteVector.fromMemorySegment(B, data, block + 128 + 32 * h + l, ByteOrder.LITTLE_ENDIAN);
                    // quarter k (elements 128h + 32k + l ..): low nibble of ql0 / ql1 for k = 0 / 1, high for 2 / 3
                    ByteVector[] low = {
                        ql0.and((byte) 0x0F), ql1.and((byte) 0x0F),
                        ql0.lanewise(VectorOperators.LSHR, 4), ql1.lanewise(VectorOperators.LSHR, 4)};
                    for (int k = 0; k < 4; k++) {
                        ByteVector high = qh.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
                        ByteVector q = low[k].or(high).sub((byte) 32);
                        int element = 128 * h + 32 * k + l;
                        float scale = d * data.get(ValueLayout.JAVA_BYTE, block + 192 + element / 16);
                        FloatVector w = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(scale);
                        acc = w.fma(FloatVector.fromArray(F, x, xh + 32 * k + l), acc);
                    }
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
