package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The Q4_0 kernel of {@link InterleavedMatrix}. Per group and block, 288 bytes: bytes
 * {@code 64k + 4r .. 64k + 4r + 3} (k = 0..3, r = 0..15) are nibble bytes {@code 4k .. 4k + 3} of row
 * r's block (low nibble of byte j: element j, high nibble: element j + 16); bytes {@code 256 + 2r}
 * row r's F16 scale. Every 16-bit lane of a load holds four nibbles {@code n0..n3} (low and high
 * nibble of one byte, then of the next). The kernel multiplies the whole lane and its shifts by
 * "telescoped" activations prepared once per product ({@link Q8Activations#x16}):
 * {@code w t0 + (w >>> 4) t1 + (w >>> 8) t2 + (w >>> 12) t3} with {@code t0 = x(n0)} and
 * {@code t(m) = x(n_m) - 16 x(n_(m-1))} equals {@code sum n_m x(n_m)} modulo 2^16 (the nibbles above
 * n_m cancel): no byte shuffles and no per-row reductions. Each 16-bit lane starts at {@code -8}
 * times its activations' sum (the nibbles' offset), so it ends at {@code sum (n - 8) x} over 16
 * elements, |.| &lt;= 16 * 8 * 127; two lanes of a row then add up exactly in 32 bits. Two groups
 * go together, sharing the activation broadcasts.
 */
final class Q4_0Interleaved extends InterleavedMatrix {
    static final int GROUP_BYTES = 288;

    Q4_0Interleaved(Tensor t, MemorySegment packed, int stride) {
        super(t, packed, stride, new Q4_0Matrix(t));
    }

    /** Row r's block (18 bytes at {@code from}) into its group's block at {@code to}. */
    static void repackBlock(MemorySegment src, long from, MemorySegment dst, long to, int r) {
        long lo = src.get(Layouts.I64, from + 2);
        long hi = src.get(Layouts.I64, from + 10);
        dst.set(Layouts.I32, to + 4 * r, (int) lo);
        dst.set(Layouts.I32, to + 64 + 4 * r, (int) (lo >>> 32));
        dst.set(Layouts.I32, to + 128 + 4 * r, (int) hi);
        dst.set(Layouts.I32, to + 192 + 4 * r, (int) (hi >>> 32));
        dst.set(Layouts.I16, to + 256 + 2 * r, src.get(Layouts.I16, from));
    }

    @Override
    int q8Layouts() {
        return Q8Activations.LAYOUT_X16;
    }

    /** One row (rows outside whole groups), from the file's layout. */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        return ((Q4_0Matrix) file).dotQ8Blocks(row, x, 0);
    }

    /** Groups ga and gb (sixteen rows each): out[oa ..] and out[ob ..]. */
    @Override
    void groups(int ga, int gb, Q8Activations x, float[] out, int oa, int ob) {
        MemorySegment seg = packed;
        int[] act = x.x16;
        int[] init = x.x16init;
        float[] xd = x.d;
        long baseA = (long) ga * stride * GROUP_BYTES;
        long baseB = (long) gb * stride * GROUP_BYTES;
        FloatVector accA = FloatVector.zero(F);
        FloatVector accB = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long atA = baseA + (long) b * GROUP_BYTES;
            long atB = baseB + (long) b * GROUP_BYTES;
            ShortVector sA = IntVector.broadcast(I, init[b]).reinterpretAsShorts();
            ShortVector sB = sA;
            for (int k = 0; k < 4; k++) {
                int a = 16 * b + 4 * k;
                ShortVector t0 = IntVector.broadcast(I, act[a]).reinterpretAsShorts();
                ShortVector t1 = IntVector.broadcast(I, act[a + 1]).reinterpretAsShorts();
                ShortVector t2 = IntVector.broadcast(I, act[a + 2]).reinterpretAsShorts();
                ShortVector t3 = IntVector.broadcast(I, act[a + 3]).reinterpretAsShorts();
                ShortVector wA = ShortVector.fromMemorySegment(S, seg, atA + 64 * k, ByteOrder.LITTLE_ENDIAN);
                ShortVector wB = ShortVector.fromMemorySegment(S, seg, atB + 64 * k, ByteOrder.LITTLE_ENDIAN);
                sA = sA.add(wA.mul(t0).add(wA.lanewise(VectorOperators.LSHR, 4).mul(t1))
                        .add(wA.lanewise(VectorOperators.LSHR, 8).mul(t2).add(wA.lanewise(VectorOperators.LSHR, 12).mul(t3))));
                sB = sB.add(wB.mul(t0).add(wB.lanewise(VectorOperators.LSHR, 4).mul(t1))
                        .add(wB.lanewise(VectorOperators.LSHR, 8).mul(t2).add(wB.lanewise(VectorOperators.LSHR, 12).mul(t3))));
            }
            float d = xd[b];
            // row r's two lanes added in 32 bits; F16 scales widened by bit manipulation (exact for
            // normal and subnormal halves; see Q4_0Permuted), 2^112 restoring the exponent bias.
            // Written out for each group: a helper taking the vectors is not reliably inlined in a
            // method this large, and then boxes them (the kernel ran 7x slower in a trial)
            IntVector iA = sA.reinterpretAsInts();
            iA = iA.add(iA.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector hA = (IntVector) ShortVector.fromMemorySegment(S256, seg, atA + 256, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            accA = ((FloatVector) iA.convert(VectorOperators.I2F, 0))
                    .fma(hA.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).mul(d), accA);
            IntVector iB = sB.reinterpretAsInts();
            iB = iB.add(iB.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector hB = (IntVector) ShortVector.fromMemorySegment(S256, seg, atB + 256, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            accB = ((FloatVector) iB.convert(VectorOperators.I2F, 0))
                    .fma(hB.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).mul(d), accB);
        }
        accA.intoArray(out, oa);
        accB.intoArray(out, ob);
    }

    @Override
    boolean tokenKernel() {
        return true;
    }

    /**
     * Groups ga and gb (sixteen rows each, possibly the same group) against four tokens: token t's
     * outputs at out[oa + t * os ..] and out[ob + t * os ..]. The same sums as {@link #groups}; each
     * weight load and its shifts are shared by the four tokens, and each token's activation
     * broadcasts by the two groups (pre-fill). Two groups rather than one: the JIT broadcasts most
     * activations from general registers, which cost about as much as the multiplies they feed,
     * and sharing them ran 49 against 41 G multiply-adds per second on one core (7B shapes, weights
     * in L2). Every broadcast and fold is written out: with a small helper returning the broadcast
     * vector the JIT did not inline it here, and pre-fill ran at 2 tok/s instead of 12 (7B Q4_0).
     */
    @Override
    void tokens4(int ga, int gb, Q8Activations x0, Q8Activations x1, Q8Activations x2, Q8Activations x3, float[] out,
                 int oa, int ob, int os) {
        MemorySegment seg = packed;
        int[] a0 = x0.x16, a1 = x1.x16, a2 = x2.x16, a3 = x3.x16;
        int[] n0 = x0.x16init, n1 = x1.x16init, n2 = x2.x16init, n3 = x3.x16init;
        float[] d0 = x0.d, d1 = x1.d, d2 = x2.d, d3 = x3.d;
        long baseA = (long) ga * stride * GROUP_BYTES;
        long baseB = (long) gb * stride * GROUP_BYTES;
        // c: group ga's four tokens, e: group gb's
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, e0 = c0, e1 = c0, e2 = c0, e3 = c0;
        for (int b = 0; b < blocks; b++) {
            long atA = baseA + (long) b * GROUP_BYTES;
            long atB = baseB + (long) b * GROUP_BYTES;
            ShortVector s0 = IntVector.broadcast(I, n0[b]).reinterpretAsShorts();
            ShortVector s1 = IntVector.broadcast(I, n1[b]).reinterpretAsShorts();
            ShortVector s2 = IntVector.broadcast(I, n2[b]).reinterpretAsShorts();
            ShortVector s3 = IntVector.broadcast(I, n3[b]).reinterpretAsShorts();
            ShortVector u0 = s0, u1 = s1, u2 = s2, u3 = s3;
            for (int k = 0; k < 4; k++) {
                int a = 16 * b + 4 * k;
                ShortVector w = ShortVector.fromMemorySegment(S, seg, atA + 64 * k, ByteOrder.LITTLE_ENDIAN);
                ShortVector w4 = w.lanewise(VectorOperators.LSHR, 4);
                ShortVector w8 = w.lanewise(VectorOperators.LSHR, 8);
                ShortVector w12 = w.lanewise(VectorOperators.LSHR, 12);
                ShortVector v = ShortVector.fromMemorySegment(S, seg, atB + 64 * k, ByteOrder.LITTLE_ENDIAN);
                ShortVector v4 = v.lanewise(VectorOperators.LSHR, 4);
                ShortVector v8 = v.lanewise(VectorOperators.LSHR, 8);
                ShortVector v12 = v.lanewise(VectorOperators.LSHR, 12);
                ShortVector t0 = IntVector.broadcast(I, a0[a]).reinterpretAsShorts();
                ShortVector t1 = IntVector.broadcast(I, a0[a + 1]).reinterpretAsShorts();
                ShortVector t2 = IntVector.broadcast(I, a0[a + 2]).reinterpretAsShorts();
                ShortVector t3 = IntVector.broadcast(I, a0[a + 3]).reinterpretAsShorts();
                s0 = s0.add(w.mul(t0).add(w4.mul(t1)).add(w8.mul(t2).add(w12.mul(t3))));
                u0 = u0.add(v.mul(t0).add(v4.mul(t1)).add(v8.mul(t2).add(v12.mul(t3))));
                t0 = IntVector.broadcast(I, a1[a]).reinterpretAsShorts();
                t1 = IntVector.broadcast(I, a1[a + 1]).reinterpretAsShorts();
                t2 = IntVector.broadcast(I, a1[a + 2]).reinterpretAsShorts();
                t3 = IntVector.broadcast(I, a1[a + 3]).reinterpretAsShorts();
                s1 = s1.add(w.mul(t0).add(w4.mul(t1)).add(w8.mul(t2).add(w12.mul(t3))));
                u1 = u1.add(v.mul(t0).add(v4.mul(t1)).add(v8.mul(t2).add(v12.mul(t3))));
                t0 = IntVector.broadcast(I, a2[a]).reinterpretAsShorts();
                t1 = IntVector.broadcast(I, a2[a + 1]).reinterpretAsShorts();
                t2 = IntVector.broadcast(I, a2[a + 2]).reinterpretAsShorts();
                t3 = IntVector.broadcast(I, a2[a + 3]).reinterpretAsShorts();
                s2 = s2.add(w.mul(t0).add(w4.mul(t1)).add(w8.mul(t2).add(w12.mul(t3))));
                u2 = u2.add(v.mul(t0).add(v4.mul(t1)).add(v8.mul(t2).add(v12.mul(t3))));
                t0 = IntVector.broadcast(I, a3[a]).reinterpretAsShorts();
                t1 = IntVector.broadcast(I, a3[a + 1]).reinterpretAsShorts();
                t2 = IntVector.broadcast(I, a3[a + 2]).reinterpretAsShorts();
                t3 = IntVector.broadcast(I, a3[a + 3]).reinterpretAsShorts();
                s3 = s3.add(w.mul(t0).add(w4.mul(t1)).add(w8.mul(t2).add(w12.mul(t3))));
                u3 = u3.add(v.mul(t0).add(v4.mul(t1)).add(v8.mul(t2).add(v12.mul(t3))));
            }
            // each group's scales once for the four tokens; each token's lanes folded as in groups()
            FloatVector sa = ((IntVector) ShortVector.fromMemorySegment(S256, seg, atA + 256, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000)
                    .reinterpretAsFloats().mul(0x1p112f);
            FloatVector sb = ((IntVector) ShortVector.fromMemorySegment(S256, seg, atB + 256, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000)
                    .reinterpretAsFloats().mul(0x1p112f);
            IntVector q = s0.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            c0 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sa.mul(d0[b]), c0);
            q = s1.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            c1 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sa.mul(d1[b]), c1);
            q = s2.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            c2 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sa.mul(d2[b]), c2);
            q = s3.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            c3 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sa.mul(d3[b]), c3);
            q = u0.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            e0 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sb.mul(d0[b]), e0);
            q = u1.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            e1 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sb.mul(d1[b]), e1);
            q = u2.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            e2 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sb.mul(d2[b]), e2);
            q = u3.reinterpretAsInts();
            q = q.add(q.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            e3 = ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sb.mul(d3[b]), e3);
        }
        c0.intoArray(out, oa);
        c1.intoArray(out, oa + os);
        c2.intoArray(out, oa + 2 * os);
        c3.intoArray(out, oa + 3 * os);
        e0.intoArray(out, ob);
        e1.intoArray(out, ob + os);
        e2.intoArray(out, ob + 2 * os);
        e3.intoArray(out, ob + 3 * os);
    }
}
