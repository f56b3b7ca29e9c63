package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.quant.KQuants;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/**
 * Q5_K weights (see {@link dev.gale.quant.Q5_K}): Q4_K's layout plus 32 bytes {@code qh} whose bit
 * {@code j} of byte {@code l} is the 5th bit of element {@code l} of sub-block {@code j}.
 */
final class Q5_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int BLOCK = 256;
    private static final int BYTES = 176;

    Q5_KMatrix(Tensor t) {
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
                int jLo = 2 * g;
                int jHi = 2 * g + 1;
                FloatVector dLo = FloatVector.broadcast(F, d * KQuants.scale(data, block + 4, jLo));
                FloatVector mLo = FloatVector.broadcast(F, -(dmin * KQuants.min(data, block + 4, jLo)));
                FloatVector dHi = FloatVector.broadcast(F, d * KQuants.scale(data, block + 4, jHi));
                FloatVector mHi = FloatVector.broadcast(F, -(dmin * KQuants.min(data, block + 4, jHi)));
                int xg = xOffset + b * BLOCK + 64 * g;
                for (int l = 0; l < 32; l += 8) {
                    ByteVector q = bytes(block + 48 + 32 * g + l);
                    ByteVector h = bytes(block + 16 + l);
                    ByteVector qLo = q.and((byte) 0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, jLo).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ByteVector qHi = q.lanewise(VectorOperators.LSHR, 4)
                            .or(h.lanewise(VectorOperators.LSHR, jHi).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    FloatVector lo = (FloatVector) qLo.convertShape(VectorOperators.B2F, F, 0);
                    FloatVector hi = (FloatVector) qHi.convertShape(VectorOperators.B2F, F, 0);
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
