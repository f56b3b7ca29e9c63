package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.quant.KQuants;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_K weights (see {@link dev.gale.quant.Q4_K}): per 256-element super-block F16 d and dmin, packed
 * 6-bit sub-block scales and mins, and 4 groups of 32 bytes holding two 32-element sub-blocks each
 * (low nibbles, then high).
 */
final class Q4_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    /** Dequantization: floats of the preferred width, and bytes as many as its lanes. */
    private static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;
    private static final int LP = FP.length();
    private static final VectorSpecies<Integer> IP = VectorSpecies.of(int.class, FP.vectorShape());
    private static final VectorSpecies<Byte> BP = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(LP * 8));
    private static final int BLOCK = 256;
    private static final int BYTES = 144;

    Q4_KMatrix(Tensor t) {
        super(t);
    }

    /** Nibbles widened to 32-bit lanes as in {@link #dequantize}, {@code fma(q, d sc, -dmin m)} times x. */
    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        FloatVector accLo = FloatVector.zero(FP);
        FloatVector accHi = FloatVector.zero(FP);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block));
            float dmin = Float.float16ToFloat(seg.get(Layouts.I16, block + 2));
            long sc = KQuants.packedScales(seg, block + 4);
            long mn = KQuants.packedMins(seg, block + 4);
            for (int g = 0; g < 4; g++) {
                int shift = 16 * g;
                FloatVector dLo = FloatVector.broadcast(FP, d * (int) ((sc >>> shift) & 0xFF));
                FloatVector mLo = FloatVector.broadcast(FP, -(dmin * (int) ((mn >>> shift) & 0xFF)));
                FloatVector dHi = FloatVector.broadcast(FP, d * (int) ((sc >>> (shift + 8)) & 0xFF));
                FloatVector mHi = FloatVector.broadcast(FP, -(dmin * (int) ((mn >>> (shift + 8)) & 0xFF)));
                int xg = xOffset + b * BLOCK + 64 * g;
                for (int l = 0; l < 32; l += LP) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 16 + 32 * g + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    FloatVector lo = (FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0);
                    FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
                    accLo = lo.fma(dLo, mLo).fma(FloatVector.fromArray(FP, x, xg + l), accLo);
                    accHi = hi.fma(dHi, mHi).fma(FloatVector.fromArray(FP, x, xg + 32 + l), accHi);
                }
            }
        }
        return accLo.add(accHi).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Nibbles widened to 32-bit lanes, then {@code (d * sc) * q - dmin * m} with the scalar format's
     * two roundings (no FMA), so the result is the same to the bit.
     */
    @Override
    public void dequantize(int row, int col0, int n, float[] out, int off) {
        long base = row * rowBytes + (long) (col0 / BLOCK) * BYTES;
        MemorySegment seg = data;
        for (int b = 0; b < n / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block));
            float dmin = Float.float16ToFloat(seg.get(Layouts.I16, block + 2));
            long sc = KQuants.packedScales(seg, block + 4);
            long mn = KQuants.packedMins(seg, block + 4);
            for (int g = 0; g < 4; g++) {
                int shift = 16 * g;
                FloatVector dLo = FloatVector.broadcast(FP, d * (int) ((sc >>> shift) & 0xFF));
                FloatVector mLo = FloatVector.broadcast(FP, dmin * (int) ((mn >>> shift) & 0xFF));
                FloatVector dHi = FloatVector.broadcast(FP, d * (int) ((sc >>> (shift + 8)) & 0xFF));
                FloatVector mHi = FloatVector.broadcast(FP, dmin * (int) ((mn >>> (shift + 8)) & 0xFF));
                int o = off + b * BLOCK + 64 * g;
                for (int l = 0; l < 32; l += LP) {
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 16 + 32 * g + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).mul(dLo).sub(mLo).intoArray(out, o + l);
                    ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(dHi).sub(mHi)
                            .intoArray(out, o + 32 + l);
                }
            }
        }
    }

    @Override
    int q8Layouts() {
        return Q8Activations.LAYOUT_K;
    }

    @Override
    public boolean supportsQ8() {
        return SubBlockSums.ENABLED;
    }

    @Override
    public float dotQ8(int row, Q8Activations x) {
        return dotQ8Pair(row * rowBytes, row * rowBytes, x, null, 0);
    }

    /** Rows in pairs (half the range apart), sharing the activation loads. */
    @Override
    public void dotRows(int r0, int r1, float[] x, int xOffset, Q8Activations xq, float[] out, int outOffset) {
        if (xq == null || !SubBlockSums.ENABLED) {
            super.dotRows(r0, r1, x, xOffset, xq, out, outOffset);
            return;
        }
        int half = (r1 - r0) / 2;
        for (int i = 0; i < half; i++) {
            int a = r0 + i;
            out[outOffset + i] = dotQ8Pair(a * rowBytes, (a + half) * rowBytes, xq, out, outOffset + i + half);
        }
        if (2 * half < r1 - r0) {
            out[outOffset + r1 - 1 - r0] = dotQ8(r1 - 1, xq);
        }
    }

    @Override
    boolean fastQ8Rows() {
        return SubBlockSums.ENABLED;
    }

    /**
     * The dot of the row at base0, returned, and of the row at base1, into out[o1] (unless out is
     * null). Per super-block, 64 bytes (two groups)
     * at a time read as 32 16-bit lanes, each holding two
     * neighbouring bytes: {@code v & 0x0F0F} holds two low nibbles {@code a + 256 b} (elements 2i,
     * 2i + 1 of a sub-block), and {@code v * kpa + (v >>> 8) * kpb} with {@code kpa = x[2i]},
     * {@code kpb = x[2i + 1] - 256 x[2i]} ({@link Q8Activations}) is their pair sum
     * {@code a x[2i] + b x[2i + 1]} (16-bit products may wrap, the sum, at most 3810, fits); the
     * same for the high nibbles. The four vectors of pair sums (sub-blocks 0|2, 1|3, 4|6, 5|7) are
     * summed per sub-block by {@link SubBlockSums} (sums of 16 products, at most 30480, fit 16
     * bits), then in float times {@code d sc_j d_x}: one FMA per super-block. The mins come in as
     * {@code dmin m_j d_x sum(q_x)} (eight lanes of a vector, the other eight times zero).
     */
    private float dotQ8Pair(long base0, long base1, Q8Activations x, float[] out, int o1) {
        MemorySegment seg = data;
        short[] xa = x.kpa;
        short[] xb = x.kpb;
        float[] kd = x.kd;
        float[] xs = x.kdsum;
        ShortVector E = SubBlockSums.EVEN;
        ShortVector O = SubBlockSums.ODD;
        ShortVector SA = SubBlockSums.SWAPPED_SPREAD_A;
        ShortVector SB = SubBlockSums.SWAPPED_SPREAD_B;
        FloatVector acc0 = FloatVector.zero(F512);
        FloatVector acc1 = acc0;
        FloatVector accMin0 = acc0;
        FloatVector accMin1 = acc0;
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            int xo = b * 128;
            ShortVector xa0 = ShortVector.fromArray(Lanes.S512, xa, xo);
            ShortVector xb0 = ShortVector.fromArray(Lanes.S512, xb, xo);
            ShortVector xa1 = ShortVector.fromArray(Lanes.S512, xa, xo + 32);
            ShortVector xb1 = ShortVector.fromArray(Lanes.S512, xb, xo + 32);
            ShortVector xa2 = ShortVector.fromArray(Lanes.S512, xa, xo + 64);
            ShortVector xb2 = ShortVector.fromArray(Lanes.S512, xb, xo + 64);
            ShortVector xa3 = ShortVector.fromArray(Lanes.S512, xa, xo + 96);
            ShortVector xb3 = ShortVector.fromArray(Lanes.S512, xb, xo + 96);
            FloatVector xd = FloatVector.fromArray(F512, kd, 16 * b);
            FloatVector xsum = FloatVector.fromArray(F512, xs, 16 * b);
            for (int r = 0; r < 2; r++) {
                long block = (r == 0 ? base0 : base1) + (long) b * BYTES;
                float d = Float.float16ToFloat(seg.get(Layouts.I16, block));
                float dmin = Float.float16ToFloat(seg.get(Layouts.I16, block + 2));
                long sc = KQuants.packedScales(seg, block + 4);
                long mn = KQuants.packedMins(seg, block + 4);
                ShortVector v = ShortVector.fromMemorySegment(Lanes.S512, seg, block + 16, ByteOrder.LITTLE_ENDIAN);
                ShortVector lo = v.and((short) 0x0F0F);
                ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F);
                ShortVector p0 = lo.mul(xa0).add(lo.lanewise(VectorOperators.LSHR, 8).mul(xb0));
                ShortVector p1 = hi.mul(xa1).add(hi.lanewise(VectorOperators.LSHR, 8).mul(xb1));
                v = ShortVector.fromMemorySegment(Lanes.S512, seg, block + 80, ByteOrder.LITTLE_ENDIAN);
                lo = v.and((short) 0x0F0F);
                hi = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F);
                ShortVector p2 = lo.mul(xa2).add(lo.lanewise(VectorOperators.LSHR, 8).mul(xb2));
                ShortVector p3 = hi.mul(xa3).add(hi.lanewise(VectorOperators.LSHR, 8).mul(xb3));
                // SubBlockSums' levels written out (see there): sub-blocks 0, 2, 1, 3 | 4, 6, 5, 7, then spread
                ShortVector a0 = E.selectFrom(p0, p1).add(O.selectFrom(p0, p1));
                ShortVector a1 = E.selectFrom(p2, p3).add(O.selectFrom(p2, p3));
                IntVector c = SA.selectFrom(a0, a1).add(SB.selectFrom(a0, a1)).reinterpretAsInts();
                IntVector sums = c.add(c.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                FloatVector scales = (FloatVector) ((IntVector) LongVector.broadcast(LongVector.SPECIES_128, sc)
                        .reinterpretAsBytes().convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0))
                        .convert(VectorOperators.I2F, 0);
                FloatVector sumsF = (FloatVector) sums.convert(VectorOperators.I2F, 0);
                FloatVector scale = scales.mul(xd).mul(d);
                FloatVector mins = (FloatVector) ((IntVector) LongVector.broadcast(LongVector.SPECIES_128, mn)
                        .reinterpretAsBytes().convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0))
                        .convert(VectorOperators.I2F, 0);
                mins = mins.mul(dmin);
                if (r == 0) {
                    acc0 = sumsF.fma(scale, acc0);
                    accMin0 = mins.fma(xsum, accMin0);
                } else {
                    acc1 = sumsF.fma(scale, acc1);
                    accMin1 = mins.fma(xsum, accMin1);
                }
            }
        }
        if (out != null) {
            out[o1] = acc1.reduceLanes(VectorOperators.ADD) - accMin1.reduceLanes(VectorOperators.ADD);
        }
        return acc0.reduceLanes(VectorOperators.ADD) - accMin0.reduceLanes(VectorOperators.ADD);
    }
}
