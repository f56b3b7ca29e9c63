package dev.gale.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matrix product for chunks of a few tens of tokens (a short prompt, a chat turn):
 * out[t][r] = W[r] . x[t]. Four weight rows are decoded to floats whole (they stay in L2), then
 * multiplied with the tokens six at a time as dot products along the row: 4 rows x 6 tokens of
 * vector accumulators, summed across lanes once per row and token at the end. Unlike
 * {@link Gemm}, which puts tokens in vector lanes and so pads them to a multiple of the vector
 * length (16 with 512-bit vectors), no token is wasted, and the activations are read as they are
 * (no transposed copy). Each weight is still decoded once per chunk.
 *
 * <p>The kernels write their lane sums out instead of calling a helper that takes the accumulators:
 * the JIT does not always inline such a call into methods this large, and then boxes every vector
 * passed to it (measured: 5x slower at 12 and 43 tokens).
 */
final class GemmDot {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Rows decoded and multiplied together. */
    static final int R = 4;
    /** Tokens per step of the widest kernel. */
    static final int T = 6;

    private GemmDot() {
    }

    /** Whether the rows of m can run here: whole vectors of columns. */
    static boolean fits(CpuMatrix m) {
        return m.cols() % L == 0;
    }

    /**
     * Rows [r0, r1) of m times the n tokens of x (x[t * cols + k]) into out[t * outStride + r];
     * {@code w} holds at least {@link #R} x cols floats.
     */
    static void tile(CpuMatrix m, int r0, int r1, float[] x, int n, float[] out, int outStride, float[] w) {
        int cols = m.cols();
        int r = r0;
        for (; r + R <= r1; r += R) {
            for (int i = 0; i < R; i++) {
                decodeRow(m, r + i, w, i * cols);
            }
            int t = 0;
            for (; t + T <= n; t += T) {
                kernel4x6(w, cols, x, t, out, outStride, r);
            }
            for (; t + 2 <= n; t += 2) {
                kernel4x2(w, cols, x, t, out, outStride, r);
            }
            if (t < n) {
                kernel4x1(w, cols, x, t, out, outStride, r);
            }
        }
        for (; r < r1; r++) {
            decodeRow(m, r, w, 0);
            for (int t = 0; t < n; t++) {
                FloatVector acc = FloatVector.zero(F);
                for (int k = 0; k < cols; k += L) {
                    acc = FloatVector.fromArray(F, w, k).fma(FloatVector.fromArray(F, x, t * cols + k), acc);
                }
                out[t * outStride + r] = acc.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    private static void decodeRow(CpuMatrix m, int row, float[] w, int off) {
        int cols = m.cols();
        for (int k0 = 0; k0 < cols; k0 += Gemm.KB) {
            m.dequantize(row, k0, Math.min(Gemm.KB, cols - k0), w, off + k0);
        }
    }

    /** 4 rows (w[i * cols ..]) x tokens t .. t+5: 24 accumulators, 10 loads per 24 FMAs. */
    private static void kernel4x6(float[] w, int cols, float[] x, int t, float[] out, int os, int r) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a04 = a00, a05 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00, a14 = a00, a15 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00, a24 = a00, a25 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00, a34 = a00, a35 = a00;
        int x0 = t * cols;
        for (int k = 0; k < cols; k += L) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + k);
            FloatVector v1 = FloatVector.fromArray(F, x, x0 + cols + k);
            FloatVector v2 = FloatVector.fromArray(F, x, x0 + 2 * cols + k);
            FloatVector v3 = FloatVector.fromArray(F, x, x0 + 3 * cols + k);
            FloatVector v4 = FloatVector.fromArray(F, x, x0 + 4 * cols + k);
            FloatVector v5 = FloatVector.fromArray(F, x, x0 + 5 * cols + k);
            FloatVector w0 = FloatVector.fromArray(F, w, k);
            a00 = w0.fma(v0, a00);
            a01 = w0.fma(v1, a01);
            a02 = w0.fma(v2, a02);
            a03 = w0.fma(v3, a03);
            a04 = w0.fma(v4, a04);
            a05 = w0.fma(v5, a05);
            FloatVector w1 = FloatVector.fromArray(F, w, cols + k);
            a10 = w1.fma(v0, a10);
            a11 = w1.fma(v1, a11);
            a12 = w1.fma(v2, a12);
            a13 = w1.fma(v3, a13);
            a14 = w1.fma(v4, a14);
            a15 = w1.fma(v5, a15);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * cols + k);
            a20 = w2.fma(v0, a20);
            a21 = w2.fma(v1, a21);
            a22 = w2.fma(v2, a22);
            a23 = w2.fma(v3, a23);
            a24 = w2.fma(v4, a24);
            a25 = w2.fma(v5, a25);
            FloatVector w3 = FloatVector.fromArray(F, w, 3 * cols + k);
            a30 = w3.fma(v0, a30);
            a31 = w3.fma(v1, a31);
            a32 = w3.fma(v2, a32);
            a33 = w3.fma(v3, a33);
            a34 = w3.fma(v4, a34);
            a35 = w3.fma(v5, a35);
        }
        int o = t * os + r;
        out[o] = a00.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a20.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a30.reduceLanes(VectorOperators.ADD);
        o += os;
        out[o] = a01.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a11.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a21.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a31.reduceLanes(VectorOperators.ADD);
        o += os;
        out[o] = a02.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a12.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a22.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a32.reduceLanes(VectorOperators.ADD);
        o += os;
        out[o] = a03.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a13.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a23.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a33.reduceLanes(VectorOperators.ADD);
        o += os;
        out[o] = a04.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a14.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a24.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a34.reduceLanes(VectorOperators.ADD);
        o += os;
        out[o] = a05.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a15.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a25.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a35.reduceLanes(VectorOperators.ADD);
    }

    /** 4 rows x tokens t, t+1: 8 accumulators. */
    private static void kernel4x2(float[] w, int cols, float[] x, int t, float[] out, int os, int r) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        int x0 = t * cols;
        for (int k = 0; k < cols; k += L) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + k);
            FloatVector v1 = FloatVector.fromArray(F, x, x0 + cols + k);
            FloatVector w0 = FloatVector.fromArray(F, w, k);
            FloatVector w1 = FloatVector.fromArray(F, w, cols + k);
            FloatVector w2 = FloatVector.fromArray(F, w, 2 * cols + k);
            FloatVector w3 = FloatVector.fromArray(F, w, 3 * cols + k);
            a00 = w0.fma(v0, a00);
            a01 = w0.fma(v1, a01);
            a10 = w1.fma(v0, a10);
            a11 = w1.fma(v1, a11);
            a20 = w2.fma(v0, a20);
            a21 = w2.fma(v1, a21);
            a30 = w3.fma(v0, a30);
            a31 = w3.fma(v1, a31);
        }
        int o = t * os + r;
        out[o] = a00.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a10.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a20.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a30.reduceLanes(VectorOperators.ADD);
        o += os;
        out[o] = a01.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a11.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a21.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a31.reduceLanes(VectorOperators.ADD);
    }

    /** 4 rows x token t. */
    private static void kernel4x1(float[] w, int cols, float[] x, int t, float[] out, int os, int r) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x0 = t * cols;
        for (int k = 0; k < cols; k += L) {
            FloatVector v = FloatVector.fromArray(F, x, x0 + k);
            a0 = FloatVector.fromArray(F, w, k).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, cols + k).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, 2 * cols + k).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, 3 * cols + k).fma(v, a3);
        }
        int o = t * os + r;
        out[o] = a0.reduceLanes(VectorOperators.ADD);
        out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
        out[o + 2] = a2.reduceLanes(VectorOperators.ADD);
        out[o + 3] = a3.reduceLanes(VectorOperators.ADD);
    }
}
