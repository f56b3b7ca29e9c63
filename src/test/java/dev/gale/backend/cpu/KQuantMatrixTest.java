package dev.gale.backend.cpu;

import dev.gale.gguf.GGMLType;
import dev.gale.model.Tensor;
import dev.gale.quant.Formats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.gale.Floats.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Vector API dots of the K-quant matrices against the scalar definition, on odd shapes. */
class KQuantMatrixTest {

    static Stream<Arguments> shapes() {
        return Stream.of(GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K).flatMap(t -> Stream.of(
                Arguments.of(t, 37, 256), Arguments.of(t, 5, 512), Arguments.of(t, 19, 4096 + 256)));
    }

    /** Random weights, with a few rows scaled up or down so sub-block scales and mins vary. */
    static Tensor randomMatrix(GGMLType type, int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long rowBytes = type.byteSize(cols);
        MemorySegment data = MemorySegment.ofArray(new byte[Math.toIntExact(rowBytes * rows)]);
        for (int r = 0; r < rows; r++) {
            float[] w = new float[cols];
            double offset = r % 3 == 0 ? 0.5 : 0;
            for (int c = 0; c < cols; c++) {
                w[c] = (float) ((rnd.nextDouble(-1, 1) + offset) * Math.pow(4, (c / 32) % 3 - 1));
            }
            Formats.of(type).quantize(w, 0, cols, data, r * rowBytes);
        }
        return new Tensor("w", type, rows, cols, data);
    }

    /**
     * The vector dequantization of each super-block-aligned piece of each row is the scalar format's
     * to the bit (both round {@code (d * sc) * q} and then subtract {@code dmin * m}).
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void dequantizeMatchesTheScalarFormatExactly(GGMLType type, int rows, int cols) {
        CpuMatrix m = CpuMatrix.of(randomMatrix(type, rows, cols, rows * 13L + cols));
        long rowBytes = type.byteSize(cols);
        for (int r = 0; r < rows; r++) {
            float[] expected = new float[cols];
            Formats.of(type).dequantize(m.tensor().data(), r * rowBytes, expected, 0, cols);
            for (int col0 = 0; col0 < cols; col0 += 256) {
                for (int n = 256; col0 + n <= cols; n += 256) {
                    float[] actual = new float[n + 5];
                    m.dequantize(r, col0, n, actual, 5);
                    for (int i = 0; i < n; i++) {
                        if (Float.floatToIntBits(expected[col0 + i]) != Float.floatToIntBits(actual[5 + i])) {
                            throw new AssertionError(type + " row " + r + " element " + (col0 + i) + ": expected "
                                    + expected[col0 + i] + ", got " + actual[5 + i]);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void dotMatchesScalarDot(GGMLType type, int rows, int cols) {
        CpuMatrix m = CpuMatrix.of(randomMatrix(type, rows, cols, rows * 31L + cols));
        assertEquals(type, m.tensor().type());
        SplittableRandom rnd = new SplittableRandom(3);
        int xOffset = 7; // x need not start at 0
        float[] x = new float[xOffset + cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        float[] expected = new float[rows];
        float[] actual = new float[rows];
        for (int r = 0; r < rows; r++) {
            expected[r] = m.scalarDot(r, x, xOffset);
            actual[r] = m.dot(r, x, xOffset);
        }
        assertClose(expected, actual, 1e-5, type + " " + rows + "x" + cols + " dot");
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void matvecAcrossThreadsMatchesScalarDot(GGMLType type, int rows, int cols) {
        CpuMatrix m = CpuMatrix.of(randomMatrix(type, rows, cols, rows * 17L + cols));
        SplittableRandom rnd = new SplittableRandom(4);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        float[] expected = new float[rows];
        for (int r = 0; r < rows; r++) {
            expected[r] = m.scalarDot(r, x, 0);
        }
        float[] actual = new float[rows];
        try (Parallel p = new Parallel(3)) {
            m.matvec(x, actual, p);
        }
        assertClose(expected, actual, 1e-5, type + " " + rows + "x" + cols + " matvec");
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void dotsWith8BitActivationsMatchTheScalarDefinition(GGMLType type, int rows, int cols) {
        CpuMatrix m = CpuMatrix.of(randomMatrix(type, rows, cols, rows * 7L + cols));
        if (!m.supportsQ8()) {
            return; // no 8-bit kernel for this type, or no 512-bit vectors here: the float dot is used
        }
        float[] x = MatrixKernelsTest.randomVector(cols, cols);
        Q8Activations q = new Q8Activations(cols);
        q.quantize(x, 0, cols);
        float[] dequantized = new float[cols];
        for (int j = 0; j < cols; j++) {
            dequantized[j] = q.value(j);
        }
        float[] expected = new float[rows];
        for (int r = 0; r < rows; r++) {
            expected[r] = m.scalarDot(r, dequantized, 0);
        }
        for (int threads = 1; threads <= 3; threads++) {
            float[] actual = new float[rows];
            try (Parallel p = new Parallel(threads)) {
                new MatMul(p, cols, 1, true).run(x, 1, m, actual);
            }
            assertClose(expected, actual, 1e-5, type + " " + rows + "x" + cols + " x Q8, " + threads + " threads");
        }
    }

    /** A few tokens at once (the short-prompt path): each token's 8-bit dots as if it came alone. */
    @ParameterizedTest
    @MethodSource("shapes")
    void fewTokensWith8BitActivationsMatchTheScalarDefinition(GGMLType type, int rows, int cols) {
        CpuMatrix m = CpuMatrix.of(randomMatrix(type, rows, cols, rows * 5L + cols));
        if (!m.supportsQ8()) {
            return;
        }
        for (int n : new int[] {2, 5}) {
            float[] x = MatrixKernelsTest.randomVector(n * cols, n + cols);
            float[] expected = new float[n * rows];
            for (int t = 0; t < n; t++) {
                Q8Activations q = new Q8Activations(cols);
                q.quantize(x, t * cols, cols);
                float[] dequantized = new float[cols];
                for (int j = 0; j < cols; j++) {
                    dequantized[j] = q.value(j);
                }
                for (int r = 0; r < rows; r++) {
                    expected[t * rows + r] = m.scalarDot(r, dequantized, 0);
                }
            }
            for (int threads = 1; threads <= 2; threads++) {
                float[] actual = new float[n * rows];
                try (Parallel p = new Parallel(threads)) {
                    new MatMul(p, cols, n, true).run(x, n, m, actual);
                }
                assertClose(expected, actual, 1e-5, type + " " + rows + "x" + cols + " x " + n + " tokens Q8, "
                        + threads + " threads");
            }
        }
    }

    /**
     * All level bits set (the largest levels) against activations that all quantize to +127 or
     * -127: the kernels' 16-bit partial sums are at their bounds and must not wrap.
     */
    @ParameterizedTest
    @MethodSource("shapes")
    void largestLevelsAndActivationsDoNotOverflow(GGMLType type, int rows, int cols) {
        long rowBytes = type.byteSize(cols);
        MemorySegment data = MemorySegment.ofArray(new byte[Math.toIntExact(rowBytes * rows)]);
        data.fill((byte) 0xFF);
        int blockBytes = (int) type.byteSize(256);
        for (long at = 0; at < data.byteSize(); at += blockBytes) {
            short d = Float.floatToFloat16(0.001f);
            if (type == GGMLType.Q6_K) {
                data.set(Layouts.I16, at + 208, d);
            } else {
                data.set(Layouts.I16, at, d);
                data.set(Layouts.I16, at + 2, (short) 0); // dmin 0: the levels' products are the whole sum
            }
        }
        CpuMatrix m = CpuMatrix.of(new Tensor("w", type, rows, cols, data));
        if (!m.supportsQ8()) {
            return;
        }
        for (float sign : new float[] {1, -1}) {
            float[] x = new float[cols];
            java.util.Arrays.fill(x, sign);
            Q8Activations q = new Q8Activations(cols);
            q.quantize(x, 0, cols);
            float[] dequantized = new float[cols];
            for (int j = 0; j < cols; j++) {
                assertEquals(127 * sign, q.q[j]);
                dequantized[j] = q.value(j);
            }
            float[] expected = new float[rows];
            float[] actual = new float[rows];
            float[] w = new float[cols];
            for (int r = 0; r < rows; r++) {
                Formats.of(type).dequantize(data, r * rowBytes, w, 0, cols);
                double sum = 0; // in double: a float sum of thousands of equal terms is itself off by 1e-5
                for (int j = 0; j < cols; j++) {
                    sum += (double) w[j] * dequantized[j];
                }
                expected[r] = (float) sum;
                actual[r] = m.dotQ8(r, q);
            }
            assertClose(expected, actual, 1e-6, type + " " + rows + "x" + cols + " extremes, sign " + sign);
        }
    }
}
