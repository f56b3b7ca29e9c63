package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Q8_0 weights: per 32-element block an F16 scale and 32 signed bytes. */
final class Q8_0Matrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final int BLOCK = 32;
    private static final int BYTES = 34;

    Q8_0Matrix(Tensor t) {
        super(t);
    }

    /** Weights widened to floats in registers; two blocks per step with independent accumulators. */
    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int blocks = cols / BLOCK;
        int even = blocks & ~1;
        int b = 0;
        for (; b < even; b += 2) {
            long block = base + (long) b * BYTES;
            acc0 = block(block, x, xOffset + b * BLOCK, acc0);
            acc1 = block(block + BYTES, x, xOffset + b * BLOCK + BLOCK, acc1);
        }
        if (b < blocks) {
            acc0 = block(base + (long) b * BYTES, x, xOffset + b * BLOCK, acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    private FloatVector block(long block, float[] x, int xb, FloatVector acc) {
        float d = Float.float16ToFloat(data.get(Layouts.I16, block));
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < BLOCK; j += L) {
            ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
            sum = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + j), sum);
        }
        return sum.fma(FloatVector.broadcast(F, d), acc);
    }

    @Override
    public boolean supportsQ8() {
        return Q4_0Matrix.Q8_KERNEL;
    }

    /**
     * Weights and 8-bit activations multiplied in 16-bit lanes, the two halves of a block added
     * there too (|q_w q_x| &lt;= 128 * 127, so a sum of two fits in 16 bits), then widened to floats
     * and scaled once per block.
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xq = x.q;
        float[] xd = x.d;
        FloatVector acc = FloatVector.zero(F512);
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(seg.get(Layouts.I16, block)) * xd[b];
            acc = products(seg, block, ShortVector.fromArray(S256, xq, b * BLOCK),
                    ShortVector.fromArray(S256, xq, b * BLOCK + 16)).fma(FloatVector.broadcast(F512, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * With 8-bit activations: rows in pairs half the range apart, sharing the activation loads (two
     * rows some way apart stream from memory faster together than one after the other).
     */
    @Override
    public void dotRows(int r0, int r1, float[] x, int xOffset, Q8Activations xq, float[] out, int outOffset) {
        if (xq == null) {
            super.dotRows(r0, r1, x, xOffset, xq, out, outOffset);
            return;
        }
        int half = (r1 - r0) / 2;
        for (int i = 0; i < half; i++) {
            dot2(r0 + i, r0 + i + half, xq, out, outOffset + i, outOffset + i + half);
        }
        if (2 * half < r1 - r0) {
            out[outOffset + r1 - 1 - r0] = dotQ8(r1 - 1, xq);
        }
    }

    private void dot2(int ra, int rb, Q8Activations x, float[] out, int oa, int ob) {
        long baseA = ra * rowBytes;
        long baseB = rb * rowBytes;
        MemorySegment seg = data;
        short[] xq = x.q;
        float[] xd = x.d;
        FloatVector accA = FloatVector.zero(F512);
        FloatVector accB = FloatVector.zero(F512);
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            long blockA = baseA + (long) b * BYTES;
            long blockB = baseB + (long) b * BYTES;
            ShortVector x0 = ShortVector.fromArray(S256, xq, b * BLOCK);
            ShortVector x1 = ShortVector.fromArray(S256, xq, b * BLOCK + 16);
            float dA = Float.float16ToFloat(seg.get(Layouts.I16, blockA)) * xd[b];
            float dB = Float.float16ToFloat(seg.get(Layouts.I16, blockB)) * xd[b];
            accA = products(seg, blockA, x0, x1).fma(FloatVector.broadcast(F512, dA), accA);
            accB = products(seg, blockB, x0, x1).fma(FloatVector.broadcast(F512, dB), accB);
        }
        out[oa] = accA.reduceLanes(VectorOperators.ADD);
        out[ob] = accB.reduceLanes(VectorOperators.ADD);
    }

    /** Lane j: q[j] x0[j] + q[j + 16] x1[j] of the block, exact in 16 bits, as floats. */
    private static FloatVector products(MemorySegment seg, long block, ShortVector x0, ShortVector x1) {
        ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B128, seg, block + 2, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2S, S256, 0);
        ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B128, seg, block + 18, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2S, S256, 0);
        return (FloatVector) q0.mul(x0).add(q1.mul(x1)).convertShape(VectorOperators.S2F, F512, 0);
    }

    @Override
    public void dequantize(int row, int col0, int n, float[] out, int off) {
        long base = row * rowBytes + (long) (col0 / BLOCK) * BYTES;
        for (int b = 0; b < n / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(data.get(Layouts.I16, block)));
            for (int j = 0; j < BLOCK; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, off + b * BLOCK + j);
            }
        }
    }
}
