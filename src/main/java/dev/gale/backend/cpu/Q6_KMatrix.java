package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q6_K weights (see {@link dev.gale.quant.Q6_K}): per 256-element super-block 128 bytes of low
 * nibbles, 64 bytes of 2-bit high parts, 16 signed scales and F16 d. Each byte of {@code ql} and
 * {@code qh} serves several quarters of a 128-element half: quarter k (elements 128h + 32k + l)
 * takes the low (k &lt; 2) or high nibble of {@code ql[64h + 32(k % 2) + l]} and bits 2k, 2k + 1 of
 * {@code qh[32h + l]}. The kernels are written out in one method each: the JIT stops inlining plain
 * calls in a method of this many Vector API operations, and vectors passed to a call it did not
 * inline are boxed on the heap.
 */
final class Q6_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    /** Float kernels: floats of the preferred width, and bytes as many as its lanes. */
    private static final VectorSpecies<Float> FP = FloatVector.SPECIES_PREFERRED;
    private static final int LP = FP.length();
    private static final VectorSpecies<Integer> IP = VectorSpecies.of(int.class, FP.vectorShape());
    private static final VectorSpecies<Byte> BP = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(LP * 8));
    /** Lanes 16-31 of the doubled {@code qh} shifted by 2 (quarters 1 and 3). */
    private static final ShortVector SHIFTS = ShortVector.fromArray(Lanes.S512, new short[] {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 0);
    private static final int BLOCK = 256;
    private static final int BYTES = 210;

    Q6_KMatrix(Tensor t) {
        super(t);
    }

    /** The levels as in {@link #dequantize}, times the scale, times x; one accumulator per quarter. */
    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        FloatVector acc0 = FloatVector.zero(FP);
        FloatVector acc1 = FloatVector.zero(FP);
        FloatVector acc2 = FloatVector.zero(FP);
        FloatVector acc3 = FloatVector.zero(FP);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block + 208));
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += LP) {
                    IntVector ql0 = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 64 * h + l, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    IntVector ql1 = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 64 * h + 32 + l, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 128 + 32 * h + l, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    long sc = block + 192 + 8 * h + l / 16; // scale of quarter 0; quarter k's is 2k further
                    int xo = xOffset + b * BLOCK + 128 * h + l;
                    IntVector q0 = ql0.and(0x0F).or(qh.and(0x03).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q1 = ql1.and(0x0F).or(qh.and(0x0C).lanewise(VectorOperators.LSHL, 2)).sub(32);
                    IntVector q2 = ql0.lanewise(VectorOperators.LSHR, 4).or(qh.and(0x30)).sub(32);
                    IntVector q3 = ql1.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                    acc0 = ((FloatVector) q0.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc))
                            .fma(FloatVector.fromArray(FP, x, xo), acc0);
                    acc1 = ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + 2))
                            .fma(FloatVector.fromArray(FP, x, xo + 32), acc1);
                    acc2 = ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + 4))
                            .fma(FloatVector.fromArray(FP, x, xo + 64), acc2);
                    acc3 = ((FloatVector) q3.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + 6))
                            .fma(FloatVector.fromArray(FP, x, xo + 96), acc3);
                }
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * The 6-bit levels assembled in 32-bit lanes, then {@code (d * scale) * (q - 32)} as the scalar
     * format computes it, so the result is the same to the bit.
     */
    @Override
    public void dequantize(int row, int col0, int n, float[] out, int off) {
        long base = row * rowBytes + (long) (col0 / BLOCK) * BYTES;
        MemorySegment seg = data;
        for (int b = 0; b < n / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block + 208));
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += LP) {
                    IntVector ql0 = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 64 * h + l, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    IntVector ql1 = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 64 * h + 32 + l, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    IntVector qh = (IntVector) ByteVector.fromMemorySegment(BP, seg, block + 128 + 32 * h + l, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2I, IP, 0);
                    long sc = block + 192 + 8 * h + l / 16;
                    int o = off + b * BLOCK + 128 * h + l;
                    IntVector q0 = ql0.and(0x0F).or(qh.and(0x03).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q1 = ql1.and(0x0F).or(qh.and(0x0C).lanewise(VectorOperators.LSHL, 2)).sub(32);
                    IntVector q2 = ql0.lanewise(VectorOperators.LSHR, 4).or(qh.and(0x30)).sub(32);
                    IntVector q3 = ql1.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                    ((FloatVector) q0.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc)).intoArray(out, o);
                    ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + 2)).intoArray(out, o + 32);
                    ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + 4)).intoArray(out, o + 64);
                    ((FloatVector) q3.convert(VectorOperators.I2F, 0)).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + 6)).intoArray(out, o + 96);
                }
            }
        }
    }

    @Override
    int q8Layouts() {
        return Q8Activations.LAYOUT_Q6_K;
    }

    @Override
    public boolean supportsQ8() {
        return SubBlockSums.ENABLED;
    }

    /**
     * Per 128-element half: its 64 {@code ql} bytes read as 32 16-bit lanes, lane j holding the
     * low nibbles of elements 2j, 2j + 1 of the half (quarters 0, 1) and the high nibbles of
     * elements 64 + 2j, 64 + 2j + 1 (quarters 2, 3); its 32 {@code qh} bytes twice (lanes 16-31
     * shifted by 2, for quarters 1 and 3) supply the top bits. The unsigned levels
     * {@code a + 256 b} (0..63 each) give pair sums {@code v * ppa + (v >>> 8) * ppb = a x[2j] +
     * b x[2j + 1]} (at most 16002; see {@link Q8Activations}); one level of {@link SubBlockSums}
     * (sums of 4 pairs fit 16 bits), a widening one and one on 32-bit lanes leave lane s for
     * 16-element sub-block s, where {@code -32 sum(q_x)} takes out the levels' offset; in float
     * times {@code d sc_s d_x}, one FMA per super-block.
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xa = x.ppa;
        short[] xb = x.ppb;
        int[] off16 = x.off16;
        float[] xd = x.q4d; // lane 2b + e: d of block b, so lane s of super-block b: d of its block s / 2
        ShortVector E = SubBlockSums.EVEN;
        ShortVector O = SubBlockSums.ODD;
        IntVector EI = SubBlockSums.EVEN_INTS;
        IntVector OI = SubBlockSums.ODD_INTS;
        ShortVector lowTwice = SubBlockSums.LOW_TWICE;
        ShortVector highTwice = SubBlockSums.HIGH_TWICE;
        ShortVector shifts = SHIFTS;
        FloatVector acc = FloatVector.zero(F512);
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block + 208));
            int xo = b * 128;
            ShortVector qh = ShortVector.fromMemorySegment(Lanes.S512, seg, block + 128, ByteOrder.LITTLE_ENDIAN);
            ShortVector v = ShortVector.fromMemorySegment(Lanes.S512, seg, block, ByteOrder.LITTLE_ENDIAN);
            ShortVector h = lowTwice.selectFrom(qh).lanewise(VectorOperators.LSHR, shifts);
            ShortVector q = v.and((short) 0x0F0F).or(h.and((short) 0x0303).lanewise(VectorOperators.LSHL, 4));
            ShortVector p0 = q.mul(ShortVector.fromArray(Lanes.S512, xa, xo))
                    .add(q.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo)));
            q = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F).or(h.and((short) 0x3030));
            ShortVector p1 = q.mul(ShortVector.fromArray(Lanes.S512, xa, xo + 32))
                    .add(q.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo + 32)));
            v = ShortVector.fromMemorySegment(Lanes.S512, seg, block + 64, ByteOrder.LITTLE_ENDIAN);
            h = highTwice.selectFrom(qh).lanewise(VectorOperators.LSHR, shifts);
            q = v.and((short) 0x0F0F).or(h.and((short) 0x0303).lanewise(VectorOperators.LSHL, 4));
            ShortVector p2 = q.mul(ShortVector.fromArray(Lanes.S512, xa, xo + 64))
                    .add(q.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo + 64)));
            q = v.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F).or(h.and((short) 0x3030));
            ShortVector p3 = q.mul(ShortVector.fromArray(Lanes.S512, xa, xo + 96))
                    .add(q.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(Lanes.S512, xb, xo + 96)));
            // sub-blocks 0-3 | 4-7 | 8-11 | 12-15, 8 lanes each; sums of 4 pairs in 16 bits, then 32
            IntVector c0 = E.selectFrom(p0, p1).add(O.selectFrom(p0, p1)).reinterpretAsInts();
            IntVector c1 = E.selectFrom(p2, p3).add(O.selectFrom(p2, p3)).reinterpretAsInts();
            c0 = c0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(c0.lanewise(VectorOperators.ASHR, 16));
            c1 = c1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(c1.lanewise(VectorOperators.ASHR, 16));
            IntVector sums = EI.selectFrom(c0, c1).add(OI.selectFrom(c0, c1)).add(IntVector.fromArray(I512, off16, 16 * b));
            FloatVector scales = (FloatVector) ByteVector.fromMemorySegment(B128, seg, block + 192, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I512, 0).convert(VectorOperators.I2F, 0);
            acc = ((FloatVector) sums.convert(VectorOperators.I2F, 0))
                    .fma(scales.mul(FloatVector.fromArray(F512, xd, 16 * b)).mul(d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
