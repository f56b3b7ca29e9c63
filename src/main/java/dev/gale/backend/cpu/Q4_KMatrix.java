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
    public boolean supportsQ8() {
        return SubBlockSums.ENABLED;
    }

    /**
     * Per super-block: the four groups of 32 bytes widened to 16-bit lanes, low and high nibbles
     * times their sub-blocks' 8-bit activations (8 vectors of products up to 15 x 127), summed per
     * sub-block by {@link SubBlockSums} (sums of 16 products, at most 30480, fit 16 bits), then
     * in float times {@code d sc_j d_x}: one FMA per super-block. The mins come in as
     * {@code dmin m_j d_x sum(q_x)} (eight lanes of a vector, the other eight times zero).
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xq = x.q;
        float[] kd = x.kd;
        float[] xs = x.kdsum;
        ShortVector E = SubBlockSums.EVEN;
        ShortVector O = SubBlockSums.ODD;
        ShortVector SA = SubBlockSums.SPREAD_A;
        ShortVector SB = SubBlockSums.SPREAD_B;
        FloatVector acc = FloatVector.zero(F512);
        FloatVector accMin = FloatVector.zero(F512);
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block));
            float dmin = Float.float16ToFloat(seg.get(Layouts.I16, block + 2));
            long sc = KQuants.packedScales(seg, block + 4);
            long mn = KQuants.packedMins(seg, block + 4);
            int xb = b * BLOCK;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 16, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 48, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            ShortVector w2 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 80, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            ShortVector w3 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 112, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            ShortVector p0 = w0.and((short) 0x0F).mul(ShortVector.fromArray(Lanes.S512, xq, xb));
            ShortVector p1 = w0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 32));
            ShortVector p2 = w1.and((short) 0x0F).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 64));
            ShortVector p3 = w1.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 96));
            ShortVector p4 = w2.and((short) 0x0F).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 128));
            ShortVector p5 = w2.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 160));
            ShortVector p6 = w3.and((short) 0x0F).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 192));
            ShortVector p7 = w3.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 224));
            // SubBlockSums.pairs and spread, written out: the JIT inlines Vector API calls late, but
            // gives up on plain calls once a method this size has used its inlining budget
            ShortVector a0 = E.selectFrom(p0, p1).add(O.selectFrom(p0, p1));
            ShortVector a1 = E.selectFrom(p2, p3).add(O.selectFrom(p2, p3));
            ShortVector a2 = E.selectFrom(p4, p5).add(O.selectFrom(p4, p5));
            ShortVector a3 = E.selectFrom(p6, p7).add(O.selectFrom(p6, p7));
            ShortVector s03 = E.selectFrom(a0, a1).add(O.selectFrom(a0, a1));
            ShortVector s47 = E.selectFrom(a2, a3).add(O.selectFrom(a2, a3));
            IntVector c = SA.selectFrom(s03, s47).add(SB.selectFrom(s03, s47)).reinterpretAsInts();
            IntVector sums = c.add(c.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            FloatVector scales = (FloatVector) ((IntVector) LongVector.broadcast(LongVector.SPECIES_128, sc)
                    .reinterpretAsBytes().convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0))
                    .convert(VectorOperators.I2F, 0);
            acc = ((FloatVector) sums.convert(VectorOperators.I2F, 0))
                    .fma(scales.mul(FloatVector.fromArray(F512, kd, 2 * b * 8)).mul(d), acc);
            FloatVector mins = (FloatVector) ((IntVector) LongVector.broadcast(LongVector.SPECIES_128, mn)
                    .reinterpretAsBytes().convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0))
                    .convert(VectorOperators.I2F, 0);
            accMin = mins.mul(dmin).fma(FloatVector.fromArray(F512, xs, 16 * b), accMin);
        }
        return acc.reduceLanes(VectorOperators.ADD) - accMin.reduceLanes(VectorOperators.ADD);
    }
}
