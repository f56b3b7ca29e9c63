package dev.gale.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The blocked matrix product of prefill: out[t][r] = W[r] . x[t] for a chunk of tokens, reading
 * each weight once per chunk. A tile of up to {@link #ROWS} weight rows is decoded to floats
 * {@link #KB} columns at a time (so it stays in L1/L2), and multiplied with the activations held
 * transposed in blocks of up to 4 vectors of tokens ({@link #transpose}; tokens padded to
 * {@code tp}, a multiple of the vector length): a register-blocked kernel keeps 6 rows x 4 vectors
 * of tokens in accumulators and adds broadcast weights times activation vectors, so no horizontal
 * sums are needed.
 */
final class Gemm {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Columns decoded per step; a multiple of every block size (K-quants use 256). */
    static final int KB = 256;
    /** Rows per tile: the unit of work handed to a thread (a multiple of the kernel's 6 rows). */
    static final int ROWS = 48;

    /** Per-thread buffers. */
    static final class Scratch {
        final float[] w = new float[ROWS * KB];
        float[] c = new float[0];

        float[] c(int size) {
            if (c.length < size) {
                c = new float[size];
            }
            return c;
        }
    }

    private Gemm() {
    }

    /** Tokens padded to a multiple of the vector length. */
    static int padded(int n) {
        return (n + L - 1) / L * L;
    }

    /**
     * Vectors of tokens the kernels take at t0 of tp padded tokens: 4 (64 tokens with 512-bit
     * vectors), and at the end 2 and 1.
     */
    static int vectorsAt(int t0, int tp) {
        int vectors = Math.min(4, (tp - t0) / L);
        return vectors == 3 ? 2 : vectors;
    }

    /**
     * Packs the n tokens' activations for the kernels: the tokens in blocks of {@link #vectorsAt}
     * vectors, each block transposed and contiguous, so that a kernel streams it:
     * xt[t0 * cols + k * width + (t - t0)] = x[t * cols + k] for token t of the block at t0.
     */
    static void transpose(float[] x, int n, int cols, float[] xt, int tp) {
        transpose(x, 0, n, cols, xt, tp);
    }

    /** {@link #transpose} of tokens [t1, t2) only (threads share the tokens out). */
    static void transpose(float[] x, int t1, int t2, int cols, float[] xt, int tp) {
        for (int t0 = 0; t0 < t2; ) {
            int width = vectorsAt(t0, tp) * L;
            // 32 columns at a time, so that the lines read and written stay in L1
            for (int k0 = 0; k0 < cols; k0 += 32) {
                int k1 = Math.min(cols, k0 + 32);
                for (int t = Math.max(t0, t1); t < Math.min(t2, t0 + width); t++) {
                    int src = t * cols;
                    int dst = t0 * cols + t - t0;
                    for (int k = k0; k < k1; k++) {
                        xt[dst + k * width] = x[src + k];
                    }
                }
            }
            t0 += width;
        }
    }

    /** Rows [r0, r1) of m (at most ROWS) times the n tokens of xt into out[t * outStride + r]. */
    static void tile(CpuMatrix m, int r0, int r1, float[] xt, int n, int tp, float[] out, int outStride,
                     Scratch s) {
        int rt = r1 - r0;
        int cols = m.cols();
        float[] w = s.w;
        float[] c = s.c(ROWS * tp);
        java.util.Arrays.fill(c, 0, rt * tp, 0f);
        // six-row groups, as many as leave a multiple of four rows for the four-row kernels
        int sixes = rt / 6;
        for (int g = sixes; g >= 0; g--) {
            if ((rt - 6 * g) % 4 == 0) {
                sixes = g;
                break;
            }
        }
        for (int k0 = 0; k0 < cols; k0 += KB) {
            int kb = Math.min(KB, cols - k0);
            for (int i = 0; i < rt; i++) {
                m.dequantize(r0 + i, k0, kb, w, i * KB);
            }
            for (int t0 = 0; t0 < tp; ) {
                int vectors = vectorsAt(t0, tp);
                int xs = vectors * L;
                int xo = t0 * cols + k0 * xs;
                int i = 0;
                if (vectors == 4) {
                    for (; i < 6 * sixes; i += 6) {
                        kernel6x4(w, i * KB, kb, xt, xo, xs, c, i * tp + t0, tp);
                    }
                }
                for (; i + 4 <= rt; i += 4) {
                    switch (vectors) {
                        case 4 -> kernel4x4(w, i * KB, kb, xt, xo, xs, c, i * tp + t0, tp);
                        case 2 -> kernel4x2(w, i * KB, kb, xt, xo, xs, c, i * tp + t0, tp);
                        default -> kernel4x1(w, i * KB, kb, xt, xo, xs, c, i * tp + t0, tp);
                    }
                }
                for (; i < rt; i++) {
                    kernel1(w, i * KB, kb, xt, xo, xs, c, i * tp + t0, tp, vectors);
                }
                t0 += xs;
            }
        }
        // c is [row][token]: transposed into out in blocks of 16 tokens, which stay in L1
        for (int t0 = 0; t0 < n; t0 += 16) {
            int t1 = Math.min(n, t0 + 16);
            for (int i = 0; i < rt; i++) {
                int ci = i * tp;
                for (int t = t0; t < t1; t++) {
                    out[t * outStride + r0 + i] = c[ci + t];
                }
            }
        }
    }

    /**
     * c[6 rows][4 vectors] += w[6 rows][k] * xt[k][4 vectors] over kb columns: 24 accumulators (of
     * the 32 vector registers), one broadcast weight per 4 FMAs, 4 activation loads per 24 FMAs.
     */
    private static void kernel6x4(float[] w, int wo, int kb, float[] xt, int xo, int xs, float[] c, int co, int tp) {
        FloatVector c00 = FloatVector.fromArray(F, c, co);
        FloatVector c01 = FloatVector.fromArray(F, c, co + L);
        FloatVector c02 = FloatVector.fromArray(F, c, co + 2 * L);
        FloatVector c03 = FloatVector.fromArray(F, c, co + 3 * L);
        FloatVector c10 = FloatVector.fromArray(F, c, co + tp);
        FloatVector c11 = FloatVector.fromArray(F, c, co + tp + L);
        FloatVector c12 = FloatVector.fromArray(F, c, co + tp + 2 * L);
        FloatVector c13 = FloatVector.fromArray(F, c, co + tp + 3 * L);
        FloatVector c20 = FloatVector.fromArray(F, c, co + 2 * tp);
        FloatVector c21 = FloatVector.fromArray(F, c, co + 2 * tp + L);
        FloatVector c22 = FloatVector.fromArray(F, c, co + 2 * tp + 2 * L);
        FloatVector c23 = FloatVector.fromArray(F, c, co + 2 * tp + 3 * L);
        FloatVector c30 = FloatVector.fromArray(F, c, co + 3 * tp);
        FloatVector c31 = FloatVector.fromArray(F, c, co + 3 * tp + L);
        FloatVector c32 = FloatVector.fromArray(F, c, co + 3 * tp + 2 * L);
        FloatVector c33 = FloatVector.fromArray(F, c, co + 3 * tp + 3 * L);
        FloatVector c40 = FloatVector.fromArray(F, c, co + 4 * tp);
        FloatVector c41 = FloatVector.fromArray(F, c, co + 4 * tp + L);
        FloatVector c42 = FloatVector.fromArray(F, c, co + 4 * tp + 2 * L);
        FloatVector c43 = FloatVector.fromArray(F, c, co + 4 * tp + 3 * L);
        FloatVector c50 = FloatVector.fromArray(F, c, co + 5 * tp);
        FloatVector c51 = FloatVector.fromArray(F, c, co + 5 * tp + L);
        FloatVector c52 = FloatVector.fromArray(F, c, co + 5 * tp + 2 * L);
        FloatVector c53 = FloatVector.fromArray(F, c, co + 5 * tp + 3 * L);
        for (int k = 0; k < kb; k++) {
            int x = xo + k * xs;
            FloatVector x0 = FloatVector.fromArray(F, xt, x);
            FloatVector x1 = FloatVector.fromArray(F, xt, x + L);
            FloatVector x2 = FloatVector.fromArray(F, xt, x + 2 * L);
            FloatVector x3 = FloatVector.fromArray(F, xt, x + 3 * L);
            FloatVector w0 = FloatVector.broadcast(F, w[wo + k]);
            c00 = w0.fma(x0, c00);
            c01 = w0.fma(x1, c01);
            c02 = w0.fma(x2, c02);
            c03 = w0.fma(x3, c03);
            FloatVector w1 = FloatVector.broadcast(F, w[wo + KB + k]);
            c10 = w1.fma(x0, c10);
            c11 = w1.fma(x1, c11);
            c12 = w1.fma(x2, c12);
            c13 = w1.fma(x3, c13);
            FloatVector w2 = FloatVector.broadcast(F, w[wo + 2 * KB + k]);
            c20 = w2.fma(x0, c20);
            c21 = w2.fma(x1, c21);
            c22 = w2.fma(x2, c22);
            c23 = w2.fma(x3, c23);
            FloatVector w3 = FloatVector.broadcast(F, w[wo + 3 * KB + k]);
            c30 = w3.fma(x0, c30);
            c31 = w3.fma(x1, c31);
            c32 = w3.fma(x2, c32);
            c33 = w3.fma(x3, c33);
            FloatVector w4 = FloatVector.broadcast(F, w[wo + 4 * KB + k]);
            c40 = w4.fma(x0, c40);
            c41 = w4.fma(x1, c41);
            c42 = w4.fma(x2, c42);
            c43 = w4.fma(x3, c43);
            FloatVector w5 = FloatVector.broadcast(F, w[wo + 5 * KB + k]);
            c50 = w5.fma(x0, c50);
            c51 = w5.fma(x1, c51);
            c52 = w5.fma(x2, c52);
            c53 = w5.fma(x3, c53);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + 2 * L);
        c03.intoArray(c, co + 3 * L);
        c10.intoArray(c, co + tp);
        c11.intoArray(c, co + tp + L);
        c12.intoArray(c, co + tp + 2 * L);
        c13.intoArray(c, co + tp + 3 * L);
        c20.intoArray(c, co + 2 * tp);
        c21.intoArray(c, co + 2 * tp + L);
        c22.intoArray(c, co + 2 * tp + 2 * L);
        c23.intoArray(c, co + 2 * tp + 3 * L);
        c30.intoArray(c, co + 3 * tp);
        c31.intoArray(c, co + 3 * tp + L);
        c32.intoArray(c, co + 3 * tp + 2 * L);
        c33.intoArray(c, co + 3 * tp + 3 * L);
        c40.intoArray(c, co + 4 * tp);
        c41.intoArray(c, co + 4 * tp + L);
        c42.intoArray(c, co + 4 * tp + 2 * L);
        c43.intoArray(c, co + 4 * tp + 3 * L);
        c50.intoArray(c, co + 5 * tp);
        c51.intoArray(c, co + 5 * tp + L);
        c52.intoArray(c, co + 5 * tp + 2 * L);
        c53.intoArray(c, co + 5 * tp + 3 * L);
    }

    /**
     * c[4 rows][4 vectors] += w[4 rows][k] * xt[k][4 vectors] over kb columns: 16 accumulators,
     * one broadcast weight per 4 FMAs.
     */
    private static void kernel4x4(float[] w, int wo, int kb, float[] xt, int xo, int xs, float[] c, int co, int tp) {
        FloatVector c00 = FloatVector.fromArray(F, c, co);
        FloatVector c01 = FloatVector.fromArray(F, c, co + L);
        FloatVector c02 = FloatVector.fromArray(F, c, co + 2 * L);
        FloatVector c03 = FloatVector.fromArray(F, c, co + 3 * L);
        FloatVector c10 = FloatVector.fromArray(F, c, co + tp);
        FloatVector c11 = FloatVector.fromArray(F, c, co + tp + L);
        FloatVector c12 = FloatVector.fromArray(F, c, co + tp + 2 * L);
        FloatVector c13 = FloatVector.fromArray(F, c, co + tp + 3 * L);
        FloatVector c20 = FloatVector.fromArray(F, c, co + 2 * tp);
        FloatVector c21 = FloatVector.fromArray(F, c, co + 2 * tp + L);
        FloatVector c22 = FloatVector.fromArray(F, c, co + 2 * tp + 2 * L);
        FloatVector c23 = FloatVector.fromArray(F, c, co + 2 * tp + 3 * L);
        FloatVector c30 = FloatVector.fromArray(F, c, co + 3 * tp);
        FloatVector c31 = FloatVector.fromArray(F, c, co + 3 * tp + L);
        FloatVector c32 = FloatVector.fromArray(F, c, co + 3 * tp + 2 * L);
        FloatVector c33 = FloatVector.fromArray(F, c, co + 3 * tp + 3 * L);
        for (int k = 0; k < kb; k++) {
            int x = xo + k * xs;
            FloatVector x0 = FloatVector.fromArray(F, xt, x);
            FloatVector x1 = FloatVector.fromArray(F, xt, x + L);
            FloatVector x2 = FloatVector.fromArray(F, xt, x + 2 * L);
            FloatVector x3 = FloatVector.fromArray(F, xt, x + 3 * L);
            FloatVector w0 = FloatVector.broadcast(F, w[wo + k]);
            c00 = w0.fma(x0, c00);
            c01 = w0.fma(x1, c01);
            c02 = w0.fma(x2, c02);
            c03 = w0.fma(x3, c03);
            FloatVector w1 = FloatVector.broadcast(F, w[wo + KB + k]);
            c10 = w1.fma(x0, c10);
            c11 = w1.fma(x1, c11);
            c12 = w1.fma(x2, c12);
            c13 = w1.fma(x3, c13);
            FloatVector w2 = FloatVector.broadcast(F, w[wo + 2 * KB + k]);
            c20 = w2.fma(x0, c20);
            c21 = w2.fma(x1, c21);
            c22 = w2.fma(x2, c22);
            c23 = w2.fma(x3, c23);
            FloatVector w3 = FloatVector.broadcast(F, w[wo + 3 * KB + k]);
            c30 = w3.fma(x0, c30);
            c31 = w3.fma(x1, c31);
            c32 = w3.fma(x2, c32);
            c33 = w3.fma(x3, c33);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c02.intoArray(c, co + 2 * L);
        c03.intoArray(c, co + 3 * L);
        c10.intoArray(c, co + tp);
        c11.intoArray(c, co + tp + L);
        c12.intoArray(c, co + tp + 2 * L);
        c13.intoArray(c, co + tp + 3 * L);
        c20.intoArray(c, co + 2 * tp);
        c21.intoArray(c, co + 2 * tp + L);
        c22.intoArray(c, co + 2 * tp + 2 * L);
        c23.intoArray(c, co + 2 * tp + 3 * L);
        c30.intoArray(c, co + 3 * tp);
        c31.intoArray(c, co + 3 * tp + L);
        c32.intoArray(c, co + 3 * tp + 2 * L);
        c33.intoArray(c, co + 3 * tp + 3 * L);
    }

    /** c[4 rows][2 vectors] += w[4 rows][k] * xt[k][2 vectors] over kb columns. */
    private static void kernel4x2(float[] w, int wo, int kb, float[] xt, int xo, int xs, float[] c, int co, int tp) {
        FloatVector c00 = FloatVector.fromArray(F, c, co);
        FloatVector c01 = FloatVector.fromArray(F, c, co + L);
        FloatVector c10 = FloatVector.fromArray(F, c, co + tp);
        FloatVector c11 = FloatVector.fromArray(F, c, co + tp + L);
        FloatVector c20 = FloatVector.fromArray(F, c, co + 2 * tp);
        FloatVector c21 = FloatVector.fromArray(F, c, co + 2 * tp + L);
        FloatVector c30 = FloatVector.fromArray(F, c, co + 3 * tp);
        FloatVector c31 = FloatVector.fromArray(F, c, co + 3 * tp + L);
        for (int k = 0; k < kb; k++) {
            int x = xo + k * xs;
            FloatVector x0 = FloatVector.fromArray(F, xt, x);
            FloatVector x1 = FloatVector.fromArray(F, xt, x + L);
            FloatVector w0 = FloatVector.broadcast(F, w[wo + k]);
            FloatVector w1 = FloatVector.broadcast(F, w[wo + KB + k]);
            FloatVector w2 = FloatVector.broadcast(F, w[wo + 2 * KB + k]);
            FloatVector w3 = FloatVector.broadcast(F, w[wo + 3 * KB + k]);
            c00 = w0.fma(x0, c00);
            c01 = w0.fma(x1, c01);
            c10 = w1.fma(x0, c10);
            c11 = w1.fma(x1, c11);
            c20 = w2.fma(x0, c20);
            c21 = w2.fma(x1, c21);
            c30 = w3.fma(x0, c30);
            c31 = w3.fma(x1, c31);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + tp);
        c11.intoArray(c, co + tp + L);
        c20.intoArray(c, co + 2 * tp);
        c21.intoArray(c, co + 2 * tp + L);
        c30.intoArray(c, co + 3 * tp);
        c31.intoArray(c, co + 3 * tp + L);
    }

    /** c[4 rows][1 vector] += w[4 rows][k] * xt[k][1 vector]. */
    private static void kernel4x1(float[] w, int wo, int kb, float[] xt, int xo, int xs, float[] c, int co, int tp) {
        FloatVector c0 = FloatVector.fromArray(F, c, co);
        FloatVector c1 = FloatVector.fromArray(F, c, co + tp);
        FloatVector c2 = FloatVector.fromArray(F, c, co + 2 * tp);
        FloatVector c3 = FloatVector.fromArray(F, c, co + 3 * tp);
        for (int k = 0; k < kb; k++) {
            FloatVector x0 = FloatVector.fromArray(F, xt, xo + k * xs);
            c0 = FloatVector.broadcast(F, w[wo + k]).fma(x0, c0);
            c1 = FloatVector.broadcast(F, w[wo + KB + k]).fma(x0, c1);
            c2 = FloatVector.broadcast(F, w[wo + 2 * KB + k]).fma(x0, c2);
            c3 = FloatVector.broadcast(F, w[wo + 3 * KB + k]).fma(x0, c3);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + tp);
        c2.intoArray(c, co + 2 * tp);
        c3.intoArray(c, co + 3 * tp);
    }

    /** One row times {@code vectors} (1, 2 or 4) vectors of tokens. */
    private static void kernel1(float[] w, int wo, int kb, float[] xt, int xo, int xs, float[] c, int co,
                                int tp, int vectors) {
        for (int v = 0; v < vectors; v++) {
            FloatVector acc = FloatVector.fromArray(F, c, co + v * L);
            for (int k = 0; k < kb; k++) {
                acc = FloatVector.broadcast(F, w[wo + k]).fma(FloatVector.fromArray(F, xt, xo + k * xs + v * L), acc);
            }
            acc.intoArray(c, co + v * L);
        }
    }
}
