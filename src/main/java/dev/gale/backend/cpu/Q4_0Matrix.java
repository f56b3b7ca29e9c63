package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/** Q4_0 weights: per 32-element block an F16 scale and 16 bytes of nibbles (low: j, high: j + 16). */
final class Q4_0Matrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int BLOCK = 32;
    private static final int BYTES = 18;

    Q4_0Matrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(data.get(Layouts.I16, block));
            int xb = xOffset + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < 16; j += 8) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                FloatVector wl = (FloatVector) lo.convertShape(VectorOperators.B2F, F, 0);
                FloatVector wh = (FloatVector) hi.convertShape(VectorOperators.B2F, F, 0);
                sum = wl.fma(FloatVector.fromArray(F, x, xb + j), sum);
                sum = wh.fma(FloatVector.fromArray(F, x, xb + j + 16), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
