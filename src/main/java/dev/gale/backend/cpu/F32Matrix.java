package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/** F32 weights. */
final class F32Matrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    F32Matrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(cols);
        for (; i < bound; i += F.length()) {
            FloatVector w = FloatVector.fromMemorySegment(F, data, base + 4L * i, ByteOrder.LITTLE_ENDIAN);
            acc = w.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += data.get(dev.gale.backend.cpu.Layouts.F32, base + 4L * i) * x[xOffset + i];
        }
        return sum;
    }
}
