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
 * Q5_K weights (see {@link dev.gale.quant.Q5_K}): Q4_K's layout plus 32 bytes {@code qh} whose bit
 * {@code j} of byte {@code l} is the 5th bit of element {@code l} of sub-block {@code j}. The
 * kernels are those of {@link Q4_KMatrix} with the 5th bit or-ed into each level, written out in
 * one method each for the same reason (the JIT's inlining budget).
 */
final class Q5_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    /** Float kernels: floats of the preferred width, and bytes as many as its lanes. */
    private static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;
    private static final int LP = FP.length();
    private static final VectorSpecies<Integer> IP = VectorSpecies.of(int.class, FP.vectorShape());
    private static final VectorSpecies<Byte> BP = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(LP * 8));
    /** Per-lane shifts of the doubled {@code qh}: sub-blocks 0 | 2 (and 1 | 3), then 4 | 6 (5 | 7). */
    private static final ShortVector SHIFTS_01 = shifts(0, 2);
    private static final ShortVector SHIFTS_23 = shifts(4, 6);
    private static final int BLOCK = 256;
    private static final int BYTES = 176;

    Q5_KMatrix(Tensor t) {
        super(t);
    }

    /** Levels as in {@link #dequantize}, {@code fma(q, d sc, -dmin m)} times x. */
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
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 48 + 32 * g + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 16 + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0)
                            .lanewise(VectorOperators.LSHL, 4);
                    IntVector lo = q.and(0x0F).or(h.lanewise(VectorOperators.LSHR, 2 * g).and(16));
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2 * g + 1).and(16));
                    accLo = ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(dLo, mLo)
                            .fma(FloatVector.fromArray(FP, x, xg + l), accLo);
                    accHi = ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(dHi, mHi)
                            .fma(FloatVector.fromArray(FP, x, xg + 32 + l), accHi);
                }
            }
        }
        return accLo.add(accHi).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Levels {@code nibble | bit << 4} in 32-bit lanes, then {@code (d * sc) * q - dmin * m} with the
     * scalar format's two roundings, so the result is the same to the bit.
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
                    IntVector q = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 48 + 32 * g + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 16 + l,
                            ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0)
                            .lanewise(VectorOperators.LSHL, 4);
                    IntVector lo = q.and(0x0F).or(h.lanewise(VectorOperators.LSHR, 2 * g).and(16));
                    IntVector hi = q.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2 * g + 1).and(16));
                    ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(dLo).sub(mLo).intoArray(out, o + l);
                    ((FloatVector) hi.convert(VectorOperators.I2F, 0)).mul(dHi).sub(mHi).intoArray(out, o + 32 + l);
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

    /**
     * As {@link Q4_KMatrix#dotQ8} (pairs of levels in 16-bit lanes times pair-laid-out
     * activations), with the 5th bits from {@code qh} read as 16 16-bit lanes, doubled by a word
     * permute and shifted per lane to the bits of the two sub-blocks a vector covers. Levels are
     * at most 31, so pair sums are at most 7874 and sums of 8 products 31496 (16 bits); the last
     * pair sum widens to 32 bits.
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xa = x.kpa;
        short[] xb = x.kpb;
        float[] kd = x.kd;
        float[] xs = x.kdsum;
        ShortVector E = SubBlockSums.EVEN;
        ShortVector O = SubBlockSums.ODD;
        ShortVector SA = SubBlockSums.SWAPPED_SPREAD_A;
        ShortVector SB = SubBlockSums.SWAPPED_SPREAD_B;
        ShortVector lowTwice = SubBlockSums.LOW_TWICE;
        ShortVector shifts01 = SHIFTS_01;
        ShortVector shifts23 = SHIFTS_23;
        FloatVector acc = FloatVector.zero(F512);
        FloatVector accMin = FloatVector.zero(F512);
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block));
            float dmin = Float.float16ToFloat(seg.get(Layouts.I16, block + 2));
            long sc = KQuants.packedScales(seg, block + 4);
            long mn = KQuants.packedMins(seg, block + 4);
            int xo = b * 128;
            ShortVector qh = lowTwice.selectFrom(ShortVector.fromMemorySegment(Lanes.S512, seg, block + 16, ByteOrder.LITTLE_ENDIAN));
            ShortVector v = ShortVector.fromMemorySegment(Lanes.S512, seg, block + 48, ByteOrder.LITTLE_ENDIAN);
            ShortVector h = qh.lanewise(VectorOperators.LSHR, shifts01);
            ShortVector lo = v.and((short) 0x0F0F).or(h.and((short) 0x0101).lanewise(VectorOperators.LSHL, 4));
            ShortVector hi = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F)
                    .or(h.and((short) 0x0202).lanewise(VectorOperators.LSHL, 3));
            ShortVector p0 = lo.mul(ShortVector.fromArray(Lanes.S512, xa, xo))
                    .add(lo.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo)));
            ShortVector p1 = hi.mul(ShortVector.fromArray(Lanes.S512, xa, xo + 32))
                    .add(hi.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo + 32)));
            v = ShortVector.fromMemorySegment(Lanes.S512, seg, block + 112, ByteOrder.LITTLE_ENDIAN);
            h = qh.lanewise(VectorOperators.LSHR, shifts23);
            lo = v.and((short) 0x0F0F).or(h.and((short) 0x0101).lanewise(VectorOperators.LSHL, 4));
            hi = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F)
                    .or(h.and((short) 0x0202).lanewise(VectorOperators.LSHL, 3));
            ShortVector p2 = lo.mul(ShortVector.fromArray(Lanes.S512, xa, xo + 64))
                    .add(lo.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo + 64)));
            ShortVector p3 = hi.mul(ShortVector.fromArray(Lanes.S512, xa, xo + 96))
                    .add(hi.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo + 96)));
            ShortVector a0 = E.selectFrom(p0, p1).add(O.selectFrom(p0, p1));
            ShortVector a1 = E.selectFrom(p2, p3).add(O.selectFrom(p2, p3));
            IntVector c = SA.selectFrom(a0, a1).add(SB.selectFrom(a0, a1)).reinterpretAsInts();
            IntVector sums = c.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(c.lanewise(VectorOperators.ASHR, 16));
            FloatVector scales = (FloatVector) ((IntVector) LongVector.broadcast(LongVector.SPECIES_128, sc)
                    .reinterpretAsBytes().convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0))
                    .convert(VectorOperators.I2F, 0);
            acc = ((FloatVector) sums.convert(VectorOperators.I2F, 0))
                    .fma(scales.mul(FloatVector.fromArray(F512, kd, 16 * b)).mul(d), acc);
            FloatVector mins = (FloatVector) ((IntVector) LongVector.broadcast(LongVector.SPECIES_128, mn)
                    .reinterpretAsBytes().convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0))
                    .convert(VectorOperators.I2F, 0);
            accMin = mins.mul(dmin).fma(FloatVector.fromArray(F512, xs, 16 * b), accMin);
        }
        return acc.reduceLanes(VectorOperators.ADD) - accMin.reduceLanes(VectorOperators.ADD);
    }

    private static ShortVector shifts(int low, int high) {
        short[] s = new short[32];
        for (int i = 0; i < 32; i++) {
            s[i] = (short) (i < 16 ? low : high);
        }
        return ShortVector.fromArray(Lanes.S512, s, 0);
    }
}
