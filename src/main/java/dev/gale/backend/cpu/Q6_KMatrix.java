package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q6_K weights (see {@link dev.gale.quant.Q6_K}): per 256-element super-block 128 bytes of low
 * nibbles, 64 bytes of 2-bit high parts, 16 signed scales and F16 d. Each byte of {@code ql} and
 * {@code qh} serves several quarters of a 128-element half, so one load of each feeds four dots.
 */
final class Q6_KMatrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
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
