package dev.gale.backend.cpu;

import dev.gale.gguf.GGMLType;
import dev.gale.model.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The eight-blocks-per-step Q4_0 kernel against the scalar definition with the same quantized
 * activations, on hand-made blocks whose scales include zero, negative, subnormal and the largest
 * F16 values, and on row lengths that leave blocks for the per-block tail.
 */
class Q4_0PermutedTest {
    private static final short[] SCALES = {0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x3C00, (short) 0xBC00,
        0x7BFF, (short) 0xFBFF, 0x2E66, (short) 0xA123, 0x1400, 0x0400};

    /** A Q4_0 matrix with random nibbles and scales drawn from SCALES or random normal halves. */
    static CpuMatrix matrix(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int blocks = cols / 32;
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * blocks * 18]);
        for (int b = 0; b < rows * blocks; b++) {
            short h = r.nextInt(3) == 0 ? SCALES[r.nextInt(SCALES.length)]
                    : Float.floatToFloat16((float) (r.nextGaussian() * 0.05));
            seg.set(Layouts.I16, b * 18L, h);
            for (int j = 0; j < 16; j++) {
                seg.set(ValueLayout.JAVA_BYTE, b * 18L + 2 + j, (byte) r.nextInt(256));
            }
        }
        return CpuMatrix.of(new Tensor("w", GGMLType.Q4_0, rows, cols, seg));
    }

    /** The scalar definition: sum over blocks of d_w * d_x * sum((nibble - 8) * q_x), in double. */
    static double expected(CpuMatrix m, int row, Q8Activations x) {
        double sum = 0;
        for (int b = 0; b < m.cols() / 32; b++) {
            long at = row * m.rowBytes + b * 18L;
            double d = Float.float16ToFloat(m.data.get(Layouts.I16, at));
            long dot = 0;
            for (int j = 0; j < 16; j++) {
                int v = m.data.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xFF;
                dot += (long) ((v & 15) - 8) * x.q[b * 32 + j] + (long) ((v >>> 4) - 8) * x.q[b * 32 + 16 + j];
            }
            sum += d * x.d[b] * dot;
        }
        return sum;
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 13, 16, 24, 31, 128, 448})
    void eightBlocksPerStepMatchTheScalarDefinition(int blocks) {
        Assumptions.assumeTrue(Q4_0Matrix.Q8_KERNEL, "needs 512-bit vectors");
        int cols = blocks * 32;
        int rows = 11;
        CpuMatrix m = matrix(rows, cols, blocks);
        float[] x = MatrixKernelsTest.randomVector(cols, blocks + 1);
        x[5] = 300; // a block with a large value: 127 in it
        Q8Activations q = new Q8Activations(cols);
        q.quantize(x, 0, cols);
        Q4_0Matrix q4 = (Q4_0Matrix) m;
        int groups = blocks / Q4_0Permuted.GROUP;
        for (int r = 0; r < rows; r++) {
            double want = expected(m, r, q);
            double tol = 1e-5 * magnitude(m, r, q) + 1e-30;
            float fast = Q4_0Permuted.dot(m.data, r * m.rowBytes, groups, q)
                    + q4.dotQ8Blocks(r, q, groups * Q4_0Permuted.GROUP);
            assertEquals(want, fast, tol, "row " + r + " of " + blocks + " blocks, eight at a time");
            assertEquals(want, q4.dotQ8Blocks(r, q, 0), tol, "row " + r + " of " + blocks + " blocks, one or two at a time");
            assertEquals(want, q4.dotQ8(r, q), tol, "row " + r + " of " + blocks + " blocks, dotQ8");
        }
        // row ranges as the parallel loops hand them out: rows in pairs half the range apart, odd ends
        for (int[] range : new int[][] {{0, rows}, {3, 10}, {5, 6}, {2, 9}}) {
            float[] out = new float[range[1] - range[0] + 2];
            m.dotRows(range[0], range[1], null, 0, q, out, 1);
            for (int r = range[0]; r < range[1]; r++) {
                assertEquals(expected(m, r, q), out[1 + r - range[0]], 1e-5 * magnitude(m, r, q) + 1e-30,
                        "row " + r + " in rows " + range[0] + ".." + range[1]);
            }
            assertEquals(0f, out[0]);
            assertEquals(0f, out[out.length - 1]);
        }
    }

    /** Sum of |terms|, the scale of rounding errors. */
    private static double magnitude(CpuMatrix m, int row, Q8Activations x) {
        double sum = 0;
        for (int b = 0; b < m.cols() / 32; b++) {
            double d = Math.abs(Float.float16ToFloat(m.data.get(Layouts.I16, row * m.rowBytes + b * 18L)));
            double s = 0;
            for (int j = 0; j < 32; j++) {
                s += 8.0 * Math.abs(x.q[b * 32 + j]);
            }
            sum += d * x.d[b] * s;
        }
        return sum;
    }
}
