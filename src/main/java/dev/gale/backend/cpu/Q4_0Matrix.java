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
import java.nio.ByteOrder;

/**
 * Q4_0 weights: per 32-element block an F16 scale and 16 bytes of nibbles (low: j, high: j + 16),
 * element = d * (nibble - 8).
 */
final class Q4_0Matrix extends CpuMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Bytes holding L nibble pairs. */
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Float> F16L = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    /** The 8-bit kernel works on 16 lanes of floats: only where vectors are 512 bits wide. */
    static final boolean Q8_KERNEL = L >= 16;
    private static final int BLOCK = 32;
    private static final int BYTES = 18;

    Q4_0Matrix(Tensor t) {
        super(t);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float d = Float.float16ToFloat(data.get(Layouts.I16, block));
            int xb = xOffset + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                FloatVector wl = (FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
                FloatVector wh = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)
                        .convertShape(VectorOperators.B2F, F, 0);
                sum = wl.fma(FloatVector.fromArray(F, x, xb + j), sum);
                sum = wh.fma(FloatVector.fromArray(F, x, xb + j + 16), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Nibbles widened to 32-bit lanes (where shifts and masks are single instructions), then
     * {@code fma(q, d, -8d)}: the same single rounding of {@code (q - 8) d} as the scalar format.
     */
    @Override
    public void dequantize(int row, int col0, int n, float[] out, int off) {
        long base = row * rowBytes + (long) (col0 / BLOCK) * BYTES;
        for (int b = 0; b < n / BLOCK; b++) {
            long block = base + (long) b * BYTES;
            float dw = Float.float16ToFloat(data.get(Layouts.I16, block));
            FloatVector d = FloatVector.broadcast(F, dw);
            FloatVector m8d = FloatVector.broadcast(F, -8 * dw);
            int o = off + b * BLOCK;
            for (int j = 0; j < 16; j += L) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, data, block + 2 + j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                ((FloatVector) q.and(0x0F).convert(VectorOperators.I2F, 0)).fma(d, m8d).intoArray(out, o + j);
                ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d, m8d)
                        .intoArray(out, o + j + 16);
            }
        }
    }

    @Override
    int q8Layouts() {
        return Q8Activations.LAYOUT_Q4_0;
    }

    @Override
    public boolean supportsQ8() {
        return Q8_KERNEL;
    }

    /**
     * Nibbles are zero-extended to 16 bits and multiplied with the 16-bit activations: a block's 32
     * products (at most 15 * 127 each) sum without overflow in 16-bit lanes. The nibbles' offset of
     * 8 is taken out once per block as {@code 8 * d_w * d_x * sum(q_x)}. Two blocks per step, with
     * independent accumulators.
     */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        if (Q4_0Permuted.ENABLED) {
            int groups = cols / (BLOCK * Q4_0Permuted.GROUP);
            long base = row * rowBytes;
            float sum = Q4_0Permuted.dot(data, base, groups, x);
            int done = groups * Q4_0Permuted.GROUP;
            return done * BLOCK == cols ? sum : sum + dotQ8Blocks(row, x, done);
        }
        return dotQ8Blocks(row, x, 0);
    }

    /**
     * With 8-bit activations and the eight-block kernel: rows in pairs half the range apart (see
     * {@link Q4_0Permuted#dot2}).
     */
    @Override
    public void dotRows(int r0, int r1, float[] x, int xOffset, Q8Activations xq, float[] out, int outOffset) {
        if (xq == null || !Q4_0Permuted.ENABLED) {
            super.dotRows(r0, r1, x, xOffset, xq, out, outOffset);
            return;
        }
        int groups = cols / (BLOCK * Q4_0Permuted.GROUP);
        int done = groups * Q4_0Permuted.GROUP;
        int half = (r1 - r0) / 2;
        for (int i = 0; i < half; i++) {
            int a = r0 + i;
            int b = a + half;
            Q4_0Permuted.dot2(data, a * rowBytes, b * rowBytes, groups, xq, out, outOffset + i, outOffset + i + half);
        }
        if (2 * half < r1 - r0) {
            int r = r1 - 1;
            out[outOffset + r - r0] = Q4_0Permuted.dot(data, r * rowBytes, groups, xq);
        }
        if (done * BLOCK != cols) {
            for (int r = r0; r < r1; r++) {
                out[outOffset + r - r0] += dotQ8Blocks(r, xq, done);
            }
        }
    }

    /** The eight-block kernel: token by token over the rows is 4x faster than the four-token dot. */
    @Override
    boolean fastQ8Rows() {
        return Q4_0Permuted.ENABLED;
    }

    /** Blocks from {@code first} on, one or two at a time. */
    float dotQ8Blocks(int row, Q8Activations x, int first) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        short[] xq = x.q;
        float[] xd = x.d;
        float[] xs = x.dsum;
        FloatVector acc0 = FloatVector.zero(F16L);
        FloatVector acc1 = FloatVector.zero(F16L);
        float offset = 0;
        int blocks = cols / BLOCK;
        int b = first;
        int even = b + ((blocks - b) & ~1);
        // a canonical counted loop, so that the JIT hoists the array bounds checks
        for (; b < even; b += 2) {
            long block = base + (long) b * BYTES;
            float d0 = Float.float16ToFloat(seg.get(Layouts.I16, block));
            float d1 = Float.float16ToFloat(seg.get(Layouts.I16, block + BYTES));
            offset += d0 * xs[b] + d1 * xs[b + 1];
            int xb = b * BLOCK;
            acc0 = block(seg, block, xq, xb).fma(FloatVector.broadcast(F16L, d0 * xd[b]), acc0);
            acc1 = block(seg, block + BYTES, xq, xb + BLOCK).fma(FloatVector.broadcast(F16L, d1 * xd[b + 1]), acc1);
        }
        for (; b < blocks; b++) {
            long block = base + (long) b * BYTES;
            float d0 = Float.float16ToFloat(seg.get(Layouts.I16, block));
            offset += d0 * xs[b];
            acc0 = block(seg, block, xq, b * BLOCK).fma(FloatVector.broadcast(F16L, d0 * xd[b]), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD) - 8 * offset;
    }

    /**
     * Row {@code row} against four tokens' activations at once: each block's nibbles are decoded
     * once for the four. out[o + k * stride] gets token k's dot product.
     */
    @Override
    public void dotQ8x4(int row, Q8Activations a, Q8Activations b, Q8Activations c, Q8Activations d,
                        float[] out, int o, int stride) {
        long base = row * rowBytes;
        MemorySegment seg = data;
        FloatVector acc0 = FloatVector.zero(F16L);
        FloatVector acc1 = FloatVector.zero(F16L);
        FloatVector acc2 = FloatVector.zero(F16L);
        FloatVector acc3 = FloatVector.zero(F16L);
        float off0 = 0;
        float off1 = 0;
        float off2 = 0;
        float off3 = 0;
        int blocks = cols / BLOCK;
        for (int i = 0; i < blocks; i++) {
            long block = base + (long) i * BYTES;
            float dw = Float.float16ToFloat(seg.get(Layouts.I16, block));
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, seg, block + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S256, 0);
            ShortVector lo = q.and((short) 0x0F);
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4);
            int xb = i * BLOCK;
            off0 += dw * a.dsum[i];
            off1 += dw * b.dsum[i];
            off2 += dw * c.dsum[i];
            off3 += dw * d.dsum[i];
            acc0 = products(lo, hi, a.q, xb).fma(FloatVector.broadcast(F16L, dw * a.d[i]), acc0);
            acc1 = products(lo, hi, b.q, xb).fma(FloatVector.broadcast(F16L, dw * b.d[i]), acc1);
            acc2 = products(lo, hi, c.q, xb).fma(FloatVector.broadcast(F16L, dw * c.d[i]), acc2);
            acc3 = products(lo, hi, d.q, xb).fma(FloatVector.broadcast(F16L, dw * d.d[i]), acc3);
        }
        out[o] = acc0.reduceLanes(VectorOperators.ADD) - 8 * off0;
        out[o + stride] = acc1.reduceLanes(VectorOperators.ADD) - 8 * off1;
        out[o + 2 * stride] = acc2.reduceLanes(VectorOperators.ADD) - 8 * off2;
        out[o + 3 * stride] = acc3.reduceLanes(VectorOperators.ADD) - 8 * off3;
    }

    private static FloatVector products(ShortVector lo, ShortVector hi, short[] xq, int xb) {
        ShortVector p = lo.mul(ShortVector.fromArray(S256, xq, xb)).add(hi.mul(ShortVector.fromArray(S256, xq, xb + 16)));
        return (FloatVector) p.convertShape(VectorOperators.S2F, F16L, 0);
    }

    /** The 16 lane sums of nibble x activation products of one block, as floats. */
    private static FloatVector block(MemorySegment seg, long block, short[] xq, int xb) {
        ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, seg, block + 2, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S256, 0);
        ShortVector p = q.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, xb))
                .add(q.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S256, xq, xb + 16)));
        return (FloatVector) p.convertShape(VectorOperators.S2F, F16L, 0);
    }
}
