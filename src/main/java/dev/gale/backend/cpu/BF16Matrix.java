package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/** BF16 weights: each value is the top half of a float, widened by a 16-bit shift. */
final class BF16Matrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;

    BF16Matrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(cols);
        for (; i < bound; i += F.length()) {
            ShortVector h = ShortVector.fromMemorySegment(S, data, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector bits = ((IntVector) h.convertShape(VectorOperators.ZERO_EXTEND_S2I, IntVector.SPECIES_256, 0))
                    .lanewise(VectorOperators.LSHL, 16);
            FloatVector w = bits.reinterpretAsFloats();
            acc = w.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += dev.gale.quant.BF16.toFloat(data.get(Layouts.I16, base + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }
}
