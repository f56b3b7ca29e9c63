package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.quant.KQuants;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_K weights (see {@link dev.gale.quant.Q4_K}): per 256-element super-block F16 d and dmin, packed
 * 6-bit sub-block scales and mins, and 4 groups of 32 bytes holding two 32-element sub-blocks each
 * (low nibbles, then high). Each 8 levels are widened to floats and scaled in registers.
 */
final class Q4_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
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

    @Override
    public boolean supportsQ8() {
        return Q4_0Matrix.Q8_KERNEL;
    }

    /**
     * Per 64-element group: its 32 bytes widened to 16-bit lanes, low and high nibbles times the
     * two sub-blocks' 8-bit activations (products up to 15 x 127: pairs fit 16 bits), lane pairs
     * summed into 32-bit lanes, scaled by {@code d sc_j d_x} in float. The mins come in once per
     * sub-block as {@code dmin m_j d_x sum(q_x)}.
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xq = x.q;
        float[] xd = x.d;
        float[] xs = x.dsum;
        FloatVector acc = FloatVector.zero(F512);
        float mins = 0;
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block));
            float dmin = Float.float16ToFloat(seg.get(Layouts.I16, block + 2));
            float m = 0;
            for (int g = 0; g < 4; g++) {
                int j = 2 * g;
                int sb = b * 8 + j;
                ShortVector w = Lanes.bytes(seg, block + 16 + 32 * g);
                ShortVector lo = w.and((short) 0x0F).mul(ShortVector.fromArray(Lanes.S512, xq, sb * 32));
                ShortVector hi = w.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Lanes.S512, xq, sb * 32 + 32));
                acc = ((FloatVector) Lanes.pairSums(lo).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(F512, d * KQuants.scale(seg, block + 4, j) * xd[sb]), acc);
                acc = ((FloatVector) Lanes.pairSums(hi).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(F512, d * KQuants.scale(seg, block + 4, j + 1) * xd[sb + 1]), acc);
                m += KQuants.min(seg, block + 4, j) * xs[sb] + KQuants.min(seg, block + 4, j + 1) * xs[sb + 1];
            }
            mins += dmin * m;
        }
        return acc.reduceLanes(VectorOperators.ADD) - mins;
    }

    /** 8 bytes at {@code at}. */
    private ByteVector bytes(long at) {
        return ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN);
    }
}
