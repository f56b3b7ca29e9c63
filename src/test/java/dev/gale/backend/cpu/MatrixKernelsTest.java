package dev.gale.backend.cpu;

import dev.gale.gguf.GGMLType;
import dev.gale.model.Tensor;
import dev.gale.quant.Formats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.gale.Floats.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU matrix kernels (decode, 8-bit activations, blocked prefill) against plain scalar math. */
class MatrixKernelsTest {
    static final GGMLType[] TYPES = {GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0};

    static CpuMatrix random(GGMLType type, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return CpuMatrix.of(new Tensor("w", type, rows, cols, Formats.of(type).quantize(w)));
    }

    static float[] randomVector(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * (1 + (i % 7)));
        }
        return x;
    }

    /** Plain: dequantize the row with the scalar format, multiply-add in order. */
    static float scalar(CpuMatrix m, int row, float[] x, int off) {
        return m.scalarDot(row, x, off);
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (GGMLType t : TYPES) {
            boolean blocked = t == GGMLType.Q8_0 || t == GGMLType.Q4_0;
            int[] colsList = blocked ? new int[] {32, 96, 288, 544} : new int[] {40, 96, 300, 520};

            for (int cols : colsList) {
                out.add(Arguments.of(t, cols));
            }
        }
        return out.stream();
    }

    /** Every type with the K-quants, whose rows are whole 256-element super-blocks. */
    static Stream<Arguments> prefillShapes() {
        List<Arguments> out = new ArrayList<>(shapes().toList());
        for (GGMLType t : new GGMLType[] {GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K}) {
            out.add(Arguments.of(t, 256));
            out.add(Arguments.of(t, 768));
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("prefillShapes")
    void blockedPrefillMatchesPerRowScalarDots(GGMLType type, int cols) {
        int[] rowsList = {1, 3, 5, 67, 130};
        int[] tokensList = {2, 3, 8, 12, 17, 33, 63, 64, 70};
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel p = new Parallel(threads)) {
                for (int rows : rowsList) {
                    CpuMatrix m = random(type, rows, cols, rows * 31L + cols);
                    for (int n : tokensList) {
                        float[] x = randomVector(n * cols, n);
                        float[] expected = new float[n * rows];
                        for (int t = 0; t < n; t++) {
                            for (int r = 0; r < rows; r++) {
                                expected[t * rows + r] = scalar(m, r, x, t * cols);
                            }
                        }
                        float[] actual = new float[n * rows];
                        new MatMul(p, cols, n, false).run(x, n, m, actual);
                        assertClose(expected, actual, 1e-5, type + " " + rows + "x" + cols + " x " + n
                                + " tokens, " + threads + " threads");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void decodeDotsMatchScalarDots(GGMLType type, int cols) {
        CpuMatrix m = random(type, 70, cols, cols);
        float[] x = randomVector(cols + 5, 9);
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel p = new Parallel(threads)) {
                float[] expected = new float[70];
                for (int r = 0; r < 70; r++) {
                    expected[r] = scalar(m, r, x, 0);
                }
                float[] actual = new float[70];
                new MatMul(p, cols, 1, false).run(x, 1, m, actual);
                assertClose(expected, actual, 1e-5, type + " matvec " + cols + ", " + threads + " threads");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void dequantizedTilesMatchTheScalarFormat(GGMLType type, int cols) {
        CpuMatrix m = random(type, 3, cols, 5);
        float[] expected = new float[cols];
        Formats.of(type).dequantize(m.data, 2 * m.rowBytes, expected, 0, cols);
        float[] actual = new float[cols + 3];
        for (int k0 = 0; k0 < cols; k0 += Gemm.KB) {
            int kb = Math.min(Gemm.KB, cols - k0);
            m.dequantize(2, k0, kb, actual, 3 + k0);
        }
        assertClose(expected, java.util.Arrays.copyOfRange(actual, 3, cols + 3), 0, type + " tiles of row 2");
    }

    static Stream<Arguments> q8Shapes() {
        List<Arguments> out = new ArrayList<>();
        for (GGMLType t : new GGMLType[] {GGMLType.Q4_0, GGMLType.Q8_0}) {
            for (int cols : new int[] {32, 96, 4096 + 32}) {
                out.add(Arguments.of(t, cols));
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("q8Shapes")
    void dotsWith8BitActivationsMatchTheScalarDefinition(GGMLType type, int cols) {
        CpuMatrix m = random(type, 9, cols, 77);
        assertTrue(m.supportsQ8() || !Q4_0Matrix.Q8_KERNEL);
        if (!m.supportsQ8()) {
            return; // no 512-bit vectors on this machine: the float kernel is used instead
        }
        float[] x = randomVector(cols, 4);
        Q8Activations xq = new Q8Activations(cols);
        xq.quantize(x, 0, cols);
        float[] dequantizedX = new float[cols];
        for (int j = 0; j < cols; j++) {
            dequantizedX[j] = xq.value(j);
        }
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel p = new Parallel(threads)) {
                float[] expected = new float[9];
                for (int r = 0; r < 9; r++) {
                    expected[r] = scalar(m, r, dequantizedX, 0);
                }
                float[] actual = new float[9];
                new MatMul(p, cols, 1, true).run(x, 1, m, actual);
                assertClose(expected, actual, 1e-5, type + " x Q8 activations, " + cols + " cols, " + threads + " threads");
                // a few tokens at once (in fours, then one by one): each row against each token
                for (int n : new int[] {3, 4, 7}) {
                    float[] xs = new float[n * cols];
                    System.arraycopy(x, 0, xs, (n - 1) * cols, cols);
                    System.arraycopy(x, 0, xs, 1 * cols, cols);
                    float[] actualN = new float[n * 9];
                    new MatMul(p, cols, n, true).run(xs, n, m, actualN);
                    assertClose(expected, java.util.Arrays.copyOfRange(actualN, (n - 1) * 9, n * 9), 1e-5,
                            "last of " + n + " tokens");
                    assertClose(expected, java.util.Arrays.copyOfRange(actualN, 9, 18), 1e-5, "second of " + n + " tokens");
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void activationQuantizationFollowsItsDefinition() {
        float[] x = randomVector(96, 12);
        x[40] = 0; // a block with a zero
        java.util.Arrays.fill(x, 64, 96, 0f); // an all-zero block
        Q8Activations q = new Q8Activations(96);
        q.quantize(x, 0, 96);
        for (int b = 0; b < 3; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[b * 32 + j]));
            }
            float d = amax / 127f;
            assertEquals(d, q.d[b], 0f, "scale of block " + b);
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                int expected = d == 0 ? 0 : Math.round(x[b * 32 + j] / d);
                assertTrue(Math.abs(expected - q.q[b * 32 + j]) <= 1, "q within rounding of x / d");
                assertTrue(Math.abs(q.q[b * 32 + j]) <= 127);
                assertTrue(Math.abs(q.value(b * 32 + j) - x[b * 32 + j]) <= d * 0.5001f + 1e-7f, "error within d/2");
                sum += q.q[b * 32 + j];
            }
            assertEquals(d * sum, q.dsum[b], 1e-6f * Math.max(1, Math.abs(d * sum)));
        }
    }

    @org.junit.jupiter.api.Test
    void productsOfTheSameInputRunAsOneJob() {
        int cols = 64;
        CpuMatrix a = random(GGMLType.Q4_0, 70, cols, 1);
        CpuMatrix b = random(GGMLType.Q8_0, 9, cols, 2);
        CpuMatrix c = random(GGMLType.F16, 130, cols, 3);
        for (int n : new int[] {1, 5, 20}) {
            float[] x = randomVector(n * cols, 8);
            try (Parallel p = new Parallel(3)) {
                float[][] outs = {new float[n * 70], new float[n * 9], new float[n * 130]};
                new MatMul(p, cols, n, false).run(x, n, new CpuMatrix[] {a, b, c}, outs, 3);
                CpuMatrix[] ms = {a, b, c};
                for (int i = 0; i < 3; i++) {
                    float[] alone = new float[n * ms[i].rows()];
                    new MatMul(p, cols, n, false).run(x, n, ms[i], alone);
                    // the same kernels on the same rows; only the JIT may change the order of a
                    // lane reduction (interpreted and compiled Vector API code sum lanes differently)
                    assertClose(alone, outs[i], 1e-6, "matrix " + i + " of the group, " + n + " tokens");
                }
            }
        }
    }
}
