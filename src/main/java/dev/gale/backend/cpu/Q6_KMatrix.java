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
    public boolean supportsQ8() {
        return SubBlockSums.ENABLED;
    }

    /**
     * Per super-block: per 128-element half its 64 low-nibble bytes and 32 high-bit bytes widened
     * to 16-bit lanes, the four quarters' levels assembled there, {@code (q - 32)} times the 8-bit
     * activations (|product| &lt;= 32 x 127), then summed per 16-element sub-block by the
     * {@link SubBlockSums} tree: three levels of pair sums (8 products, at most 32512, fit 16 bits)
     * and a last widening one, leaving 32-bit lane s for sub-block s; in float times
     * {@code d sc_s d_x}, one FMA per super-block.
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xq = x.q;
        float[] xd = x.q4d; // lane 2b + e: d of block b, so lane s of super-block b: d of its block s / 2
        ShortVector E = SubBlockSums.EVEN;
        ShortVector O = SubBlockSums.ODD;
        FloatVector acc = FloatVector.zero(F512);
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block + 208));
            int xb = b * BLOCK;
            ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 32, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            ShortVector h = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 128, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            ShortVector p0 = l0.and((short) 0x0F).or(h.and((short) 0x03).lanewise(VectorOperators.LSHL, 4))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb));
            ShortVector p1 = l1.and((short) 0x0F).or(h.and((short) 0x0C).lanewise(VectorOperators.LSHL, 2))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 32));
            ShortVector p2 = l0.lanewise(VectorOperators.LSHR, 4).or(h.and((short) 0x30))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 64));
            ShortVector p3 = l1.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x30))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 96));
            ShortVector a0 = E.selectFrom(p0, p1).add(O.selectFrom(p0, p1));
            ShortVector a1 = E.selectFrom(p2, p3).add(O.selectFrom(p2, p3));
            ShortVector s0 = E.selectFrom(a0, a1).add(O.selectFrom(a0, a1));
            l0 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 64, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            l1 = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 96, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            h = (ShortVector) ByteVector.fromMemorySegment(Lanes.B256, seg, block + 160, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.ZERO_EXTEND_B2S, Lanes.S512, 0);
            p0 = l0.and((short) 0x0F).or(h.and((short) 0x03).lanewise(VectorOperators.LSHL, 4))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 128));
            p1 = l1.and((short) 0x0F).or(h.and((short) 0x0C).lanewise(VectorOperators.LSHL, 2))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 160));
            p2 = l0.lanewise(VectorOperators.LSHR, 4).or(h.and((short) 0x30))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 192));
            p3 = l1.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x30))
                    .sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, xb + 224));
            a0 = E.selectFrom(p0, p1).add(O.selectFrom(p0, p1));
            a1 = E.selectFrom(p2, p3).add(O.selectFrom(p2, p3));
            ShortVector s1 = E.selectFrom(a0, a1).add(O.selectFrom(a0, a1));
            IntVector c = E.selectFrom(s0, s1).add(O.selectFrom(s0, s1)).reinterpretAsInts();
            IntVector sums = c.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(c.lanewise(VectorOperators.ASHR, 16));
            FloatVector scales = (FloatVector) ByteVector.fromMemorySegment(B128, seg, block + 192, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, I512, 0).convert(VectorOperators.I2F, 0);
            acc = ((FloatVector) sums.convert(VectorOperators.I2F, 0))
                    .fma(scales.mul(FloatVector.fromArray(F512, xd, 16 * b)).mul(d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
