package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/** F16 weights, widened to float in registers. */
final class F16Matrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;

    F16Matrix(Tensor t) {
        super(t);
    }

    /**
     * Widens 8 halves to floats: the exponent and mantissa shifted into place and rescaled by
     * 2^112 (which also handles subnormals), infinities and NaNs restored, then the sign.
     */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.ZERO_EXTEND_S2I, IntVector.SPECIES_256, 0);
        IntVector magnitude = bits.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        FloatVector f = magnitude.reinterpretAsFloats().mul(0x1.0p112f);
        VectorMask<Integer> special = bits.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        IntVector fb = f.reinterpretAsInts().blend(magnitude.or(0x7f800000), special);
        return fb.or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(cols);
        for (; i < bound; i += F.length()) {
            ShortVector h = ShortVector.fromMemorySegment(S, data, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
            acc = halfToFloat(h).fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += Float.float16ToFloat(data.get(Layouts.I16, base + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }
}
