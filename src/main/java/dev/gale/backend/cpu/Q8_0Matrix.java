package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Q8_0 weights: per 32-element block an F16 scale and 32 signed bytes. */
final class Q8_0Matrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int BLOCK = 32;
    private static final int BYTES = 34;

    Q8_0Matrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(data.get(Layouts.I16, block));
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += 8) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                FloatVector w = (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
                sum = w.fma(FloatVector.fromArray(F, x, xOffset + b * BLOCK + j), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static byte get(java.lang.foreign.MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }
}
