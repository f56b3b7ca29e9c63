package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.quant.KQuants;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/**
 * Q4_K weights (see {@link dev.gale.quant.Q4_K}): per 256-element super-block F16 d and dmin, packed
 * 6-bit sub-block scales and mins, and 4 groups of 32 bytes holding two 32-element sub-blocks each
 * (low nibbles, then high). Each 8 levels are widened to floats and scaled in registers.
 */
final class Q4_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int BLOCK = 256;
    private static final int BYTES = 144;

    Q4_KMatrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(data.get(Layouts.I16, block));
            float dmin = Float.float16ToFloat(data.get(Layouts.I16, block + 2));
            for (int g = 0; g < 4; g++) {
                // sub-block 2g in the low nibbles, 2g + 1 in the high ones: w = (d * sc) * q - dmin * m
                FloatVector dLo = FloatVector.broadcast(F, d * KQuants.scale(data, block + 4, 2 * g));
                FloatVector mLo = FloatVector.broadcast(F, -(dmin * KQuants.min(data, block + 4, 2 * g)));
                FloatVector dHi = FloatVector.broadcast(F, d * KQuants.scale(data, block + 4, 2 * g + 1));
                FloatVector mHi = FloatVector.broadcast(F, -(dmin * KQuants.min(data, block + 4, 2 * g + 1)));
                int xg = xOffset + b * BLOCK + 64 * g;
                for (int l = 0; l < 32; l += 8) {
                    ByteVector q = bytes(block + 16 + 32 * g + l);
                    FloatVector lo = (FloatVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
                    FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4)
                            .convertShape(VectorOperators.B2F, F, 0);
                    acc = lo.fma(dLo, mLo).fma(FloatVector.fromArray(F, x, xg + l), acc);
                    acc = hi.fma(dHi, mHi).fma(FloatVector.fromArray(F, x, xg + 32 + l), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** 8 bytes at {@code at}. */
    private ByteVector bytes(long at) {
        return ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN);
    }
}
