package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q6_K weights (see {@link dev.gale.quant.Q6_K}): per 256-element super-block 128 bytes of low
 * nibbles, 64 bytes of 2-bit high parts, 16 signed scales and F16 d. Each byte of {@code ql} and
 * {@code qh} serves several quarters of a 128-element half, so one load of each feeds four dots.
 */
final class Q6_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorMask<Float> HIGH8 = VectorMask.fromLong(F512, 0xFF00L);
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int BLOCK = 256;
    private static final int BYTES = 210;

    Q6_KMatrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(data.get(Layouts.I16, block + 208));
            for (int h = 0; h < 2; h++) {
                int xh = xOffset + b * BLOCK + 128 * h;
                for (int l = 0; l < 32; l += 8) {
                    ByteVector ql0 = bytes(block + 64 * h + l);
                    ByteVector ql1 = bytes(block + 64 * h + 32 + l);
                    ByteVector qh = bytes(block + 128 + 32 * h + l);
                    // quarter k (elements 128h + 32k + l ..): low nibble of ql0 / ql1 for k = 0 / 1, high for 2 / 3;
                    // high bits 2k, 2k + 1 of qh moved to bits 4, 5
                    int sc = 192 + (128 * h + l) / 16; // scale of quarter 0; quarter k's is 2k further
                    ByteVector high0 = qh.lanewise(VectorOperators.LSHL, 4).and((byte) 0x30);
                    ByteVector high1 = qh.lanewise(VectorOperators.LSHL, 2).and((byte) 0x30);
                    ByteVector high2 = qh.and((byte) 0x30);
                    ByteVector high3 = qh.lanewise(VectorOperators.LSHR, 2).and((byte) 0x30);
                    ByteVector low2 = ql0.lanewise(VectorOperators.LSHR, 4);
                    ByteVector low3 = ql1.lanewise(VectorOperators.LSHR, 4);
                    acc = quarter(ql0.and((byte) 0x0F).or(high0), d * scale(block, sc), x, xh + l, acc);
                    acc = quarter(ql1.and((byte) 0x0F).or(high1), d * scale(block, sc + 2), x, xh + 32 + l, acc);
                    acc = quarter(low2.or(high2), d * scale(block, sc + 4), x, xh + 64 + l, acc);
                    acc = quarter(low3.or(high3), d * scale(block, sc + 6), x, xh + 96 + l, acc);
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
     * Per 128-element half: its 64 low-nibble bytes and 32 high-bit bytes widened to 16-bit lanes,
     * the four quarters' 6-bit levels assembled there, {@code (q - 32)} times the quarter's 8-bit
     * activations (pairs of products up to 32 x 127 fit 16 bits), lane pairs summed into 32-bit
     * lanes (the first 8 for the quarter's first 16 elements, the last 8 for the rest) and scaled
     * by {@code d sc d_x} in float.
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xq = x.q;
        float[] xd = x.d;
        FloatVector acc = FloatVector.zero(F512);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block + 208));
            for (int h = 0; h < 2; h++) {
                ShortVector ql0 = Lanes.bytes(seg, block + 64 * h);
                ShortVector ql1 = Lanes.bytes(seg, block + 64 * h + 32);
                ShortVector qh = Lanes.bytes(seg, block + 128 + 32 * h);
                int sb = b * 8 + 4 * h;
                int sc = 192 + 8 * h;
                acc = quarter(ql0.and((short) 0x0F).or(qh.and((short) 0x03).lanewise(VectorOperators.LSHL, 4)),
                        xq, sb, d * xd[sb], block + sc, acc);
                acc = quarter(ql1.and((short) 0x0F).or(qh.and((short) 0x0C).lanewise(VectorOperators.LSHL, 2)),
                        xq, sb + 1, d * xd[sb + 1], block + sc + 2, acc);
                acc = quarter(ql0.lanewise(VectorOperators.LSHR, 4).or(qh.and((short) 0x30)),
                        xq, sb + 2, d * xd[sb + 2], block + sc + 4, acc);
                acc = quarter(ql1.lanewise(VectorOperators.LSHR, 4).or(qh.and((short) 0xC0).lanewise(VectorOperators.LSHR, 2)),
                        xq, sb + 3, d * xd[sb + 3], block + sc + 6, acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** acc + (q - 32) . x over one 32-element quarter whose two scales are at {@code scales}. */
    private FloatVector quarter(ShortVector q, short[] xq, int sb, float dd, long scales, FloatVector acc) {
        FloatVector s = FloatVector.broadcast(F512, dd * scale(scales)).blend(dd * scale(scales + 1), HIGH8);
        return ((FloatVector) Lanes.pairSums(q.sub((short) 32).mul(ShortVector.fromArray(Lanes.S512, xq, sb * 32)))
                .convert(VectorOperators.I2F, 0)).fma(s, acc);
    }

    private float scale(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at);
    }

    private float scale(long block, int at) {
        return data.get(ValueLayout.JAVA_BYTE, block + at);
    }

    /** acc + (q - 32) * scale . x[xAt ..] for 8 6-bit levels q. */
    private static FloatVector quarter(ByteVector q, float scale, float[] x, int xAt, FloatVector acc) {
        FloatVector w = ((FloatVector) q.sub((byte) 32).convertShape(VectorOperators.B2F, F, 0)).mul(scale);
        return w.fma(FloatVector.fromArray(F, x, xAt), acc);
    }

    /** 8 bytes at {@code at}. */
    private ByteVector bytes(long at) {
        return ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN);
    }
}
