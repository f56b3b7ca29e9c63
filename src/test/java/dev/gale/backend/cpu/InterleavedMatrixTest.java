package dev.gale.backend.cpu;

import dev.gale.Floats;
import dev.gale.TestModels;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.Tensor;
import dev.gale.quant.Formats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Q4_0 and Q8_0 repacked in groups of sixteen rows against the scalar definition on the file's
 * layout (weights decoded by the scalar format times the activations' levels and scales, in double):
 * the 8-bit kernels over whole, odd and partial groups (and Q4_0's multi-token pre-fill kernel, also
 * against its single-token kernel), the 16-bit lane bounds at their extremes, float products and
 * dequantization (the file's layout), whole models against the file-layout kernels, and the
 * cache file of {@link RepackStore} (written, read back, rewritten when damaged, skipped when it
 * cannot be written).
 */
class InterleavedMatrixTest {
    private Parallel parallel;
    private NativeMemory memory;

    @BeforeEach
    void setUp() {
        Assumptions.assumeTrue(InterleavedMatrix.ENABLED, "needs 512-bit vectors with AVX-512 BW");
        parallel = new Parallel(2);
        memory = new NativeMemory();
    }

    @AfterEach
    void tearDown() {
        if (parallel != null) {
            parallel.close();
            memory.close();
        }
    }

    private InterleavedMatrix repack(CpuMatrix m) {
        return InterleavedMatrix.repack(m.tensor(), memory.allocate(m.tensor().data().byteSize()), parallel);
    }

    /** Random weights of {@code type}, with scales that include zero, negative and subnormal halves. */
    static CpuMatrix matrix(GGMLType type, int rows, int cols, long seed) {
        if (type == GGMLType.Q4_0) {
            return Q4_0PermutedTest.matrix(rows, cols, seed);
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        short[] scales = {0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x3C00, (short) 0xBC00, 0x2E66, 0x1400};
        MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols / 32 * 34]);
        for (int b = 0; b < rows * cols / 32; b++) {
            seg.set(Layouts.I16, b * 34L, r.nextInt(3) == 0 ? scales[r.nextInt(scales.length)]
                    : Float.floatToFloat16((float) (r.nextGaussian() * 0.01)));
            for (int j = 0; j < 32; j++) {
                seg.set(ValueLayout.JAVA_BYTE, b * 34L + 2 + j, (byte) r.nextInt(256));
            }
        }
        return CpuMatrix.of(new Tensor("w", GGMLType.Q8_0, rows, cols, seg));
    }

    /**
     * The scalar definition over the row's first {@code blocks} blocks: weights decoded by the
     * type's scalar format (d * level, exact in float) times d_x * q_x, summed in double.
     */
    static double expected(CpuMatrix m, int row, Q8Activations x, int blocks) {
        float[] w = new float[m.cols()];
        Formats.of(m.tensor().type()).dequantize(m.tensor().data(), row * m.tensor().rowBytes(), w, 0, m.cols());
        double sum = 0;
        for (int j = 0; j < blocks * 32; j++) {
            sum += (double) w[j] * x.d[j / 32] * x.q[j];
        }
        return sum;
    }

    /** Sum of |terms|, the scale of rounding errors. */
    static double magnitude(CpuMatrix m, int row, Q8Activations x) {
        float[] w = new float[m.cols()];
        Formats.of(m.tensor().type()).dequantize(m.tensor().data(), row * m.tensor().rowBytes(), w, 0, m.cols());
        double sum = 0;
        for (int j = 0; j < m.cols(); j++) {
            sum += Math.abs((double) w[j] * x.d[j / 32] * x.q[j]);
        }
        return sum;
    }

    private static Q8Activations activations(int cols, long seed) {
        float[] x = MatrixKernelsTest.randomVector(cols, seed);
        x[5] = 300; // one block with a large value
        Q8Activations q = new Q8Activations(cols);
        q.quantize(x, 0, cols);
        return q;
    }

    /** Row ranges as the parallel loops hand them out, and ranges cutting groups. */
    private static void assertRowsMatch(CpuMatrix file, CpuMatrix packed, Q8Activations q, int[][] ranges) {
        for (int[] range : ranges) {
            float[] out = new float[range[1] - range[0] + 2];
            packed.dotRows(range[0], range[1], null, 0, q, out, 1);
            for (int r = range[0]; r < range[1]; r++) {
                double want = expected(file, r, q, file.cols() / 32);
                assertEquals(want, out[1 + r - range[0]], 1e-5 * magnitude(file, r, q) + 1e-30,
                        "row " + r + " in rows " + range[0] + ".." + range[1]);
            }
            assertEquals(0f, out[0]);
            assertEquals(0f, out[out.length - 1]);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_0", "Q8_0"})
    void eightBitKernelMatchesTheScalarDefinition(GGMLType type) {
        for (int blocks : new int[] {1, 3, 8, 128}) {
            int cols = blocks * 32;
            CpuMatrix file = matrix(type, 80, cols, blocks);
            InterleavedMatrix packed = repack(file);
            Q8Activations q = activations(cols, blocks + 7);
            // 5 groups: two pairs and an odd one; partial groups at either end; inside one group
            assertRowsMatch(file, packed, q, new int[][] {{0, 80}, {16, 48}, {64, 80}, {3, 70}, {5, 9}, {17, 40}});
            for (int r : new int[] {0, 15, 16, 79}) {
                assertEquals(expected(file, r, q, blocks), packed.dotQ8(r, q),
                        1e-5 * magnitude(file, r, q) + 1e-30, "dotQ8 row " + r);
            }
        }
    }

    /**
     * Pre-fill through the multi-token kernel (Q4_0): n tokens' products over row ranges as the
     * parallel loop hands them out, and ranges cutting groups, against the scalar definition, and
     * in whole groups exactly equal to the single-token kernel (the same integer sums and float
     * operations).
     */
    @Test
    void multiTokenKernelMatchesTheScalarDefinitionAndTheSingleTokenKernel() {
        for (int blocks : new int[] {1, 3, 128}) {
            int cols = blocks * 32;
            int rows = 80;
            CpuMatrix file = matrix(GGMLType.Q4_0, rows, cols, 40 + blocks);
            InterleavedMatrix packed = repack(file);
            assertTrue(packed.tokenKernel());
            for (int n : new int[] {1, 2, 3, 4, 5, 8, 11, 13}) {
                Q8Activations[] xq = new Q8Activations[n];
                for (int t = 0; t < n; t++) {
                    xq[t] = activations(cols, 100 * n + t);
                }
                for (int[] range : new int[][] {{0, rows}, {16, 48}, {64, 80}, {3, 70}, {5, 9}}) {
                    float[] out = new float[n * rows];
                    java.util.Arrays.fill(out, Float.NaN);
                    packed.dotRowsTokens(range[0], range[1], null, n, xq, out);
                    float[] one = new float[rows];
                    for (int t = 0; t < n; t++) {
                        packed.dotRows(range[0], range[1], null, 0, xq[t], one, 0);
                        for (int r = 0; r < rows; r++) {
                            String where = n + " tokens, rows " + range[0] + ".." + range[1] + ", token " + t + ", row " + r;
                            float got = out[t * rows + r];
                            if (r < range[0] || r >= range[1]) {
                                assertTrue(Float.isNaN(got), "written outside the range: " + where);
                                continue;
                            }
                            assertEquals(expected(file, r, xq[t], blocks), got,
                                    1e-5 * magnitude(file, r, xq[t]) + 1e-30, where);
                            // rows outside whole groups go through a per-row kernel whose lane sum
                            // may be ordered differently interpreted and compiled (seen: 16 ulps of
                            // the result): the rounding bound of the sum, as above
                            boolean inGroup = r >= (range[0] + 15) / 16 * 16 && r < range[1] / 16 * 16;
                            assertEquals(one[r - range[0]], got, inGroup ? 0f : 1e-5 * magnitude(file, r, xq[t]),
                                    "differs from the single-token kernel: " + where);
                        }
                    }
                }
            }
        }
    }

    /**
     * Q4_0 pre-fill chunks of every length (short, past the old 32-token limit, past the float
     * kernels' 64-token switch, the chunk size) go through the multi-token kernel: each token's
     * outputs equal, bit for bit, those of a product of that token alone; the float kernels would
     * differ by the activations' quantization.
     */
    @Test
    void q4_0ChunksOfEveryLengthGiveTheSingleTokenProducts() {
        int rows = 96;
        int cols = 256;
        InterleavedMatrix packed = repack(matrix(GGMLType.Q4_0, rows, cols, 77));
        int maxChunk = 100;
        MatMul chunked = new MatMul(parallel, cols, maxChunk, true);
        MatMul single = new MatMul(parallel, cols, 1, true);
        for (int n : new int[] {13, 33, 64, 100, 5}) {
            float[] x = MatrixKernelsTest.randomVector(n * cols, 1000 + n);
            float[] out = new float[n * rows];
            chunked.run(x, n, packed, out);
            float[] one = new float[rows];
            for (int t = 0; t < n; t++) {
                single.run(java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, packed, one);
                for (int r = 0; r < rows; r++) {
                    assertEquals(one[r], out[t * rows + r], 0f, n + " tokens, token " + t + ", row " + r);
                }
            }
        }
    }

    /**
     * Weights at their extremes (Q4_0 nibbles 0 and 15, Q8_0 levels -128 and 127) against levels of
     * +-127: the 16-bit lanes reach their bounds (-32512 for a Q4_0 row's lane pair, 2 * -128 * 127
     * for a Q8_0 lane), which the layouts are built to hold.
     */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_0", "Q8_0"})
    void extremeWeightsAndLevelsStayExact(GGMLType type) {
        int rows = 32;
        int cols = 256;
        boolean q4 = type == GGMLType.Q4_0;
        int bytes = q4 ? 18 : 34;
        for (int level : q4 ? new int[] {-8, 7} : new int[] {-128, 127}) {
            for (float sign : new float[] {1, -1}) {
                MemorySegment seg = MemorySegment.ofArray(new byte[rows * cols / 32 * bytes]);
                for (int b = 0; b < rows * cols / 32; b++) {
                    seg.set(Layouts.I16, (long) b * bytes, Float.floatToFloat16(1f));
                    for (int j = 0; j < bytes - 2; j++) {
                        byte v = q4 ? (byte) ((level + 8) * 17) : (byte) level;
                        seg.set(ValueLayout.JAVA_BYTE, (long) b * bytes + 2 + j, v);
                    }
                }
                CpuMatrix file = CpuMatrix.of(new Tensor("w", type, rows, cols, seg));
                float[] x = new float[cols];
                java.util.Arrays.fill(x, sign);
                Q8Activations q = new Q8Activations(cols);
                q.quantize(x, 0, cols);
                InterleavedMatrix packed = repack(file);
                float[] out = new float[rows];
                packed.dotRows(0, rows, null, 0, q, out, 0);
                // each element level * 127 * (1/127) * sign
                float want = level * sign * cols;
                for (int r = 0; r < rows; r++) {
                    assertEquals(want, out[r], 1e-4f * Math.abs(want), type + " level " + level + " sign " + sign + " row " + r);
                }
                if (packed.tokenKernel()) {
                    float[] outs = new float[4 * rows];
                    packed.dotRowsTokens(0, rows, null, 4, new Q8Activations[] {q, q, q, q}, outs);
                    for (int i = 0; i < outs.length; i++) {
                        assertEquals(want, outs[i], 1e-4f * Math.abs(want), type + " four tokens, level " + level
                                + " sign " + sign + " output " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_0", "Q8_0"})
    void dequantizesAsTheScalarFormat(GGMLType type) {
        int cols = 1024;
        CpuMatrix file = matrix(type, 48, cols, 5);
        InterleavedMatrix packed = repack(file);
        float[] want = new float[cols];
        float[] got = new float[cols];
        float[] x = MatrixKernelsTest.randomVector(cols, 9);
        for (int r : new int[] {0, 7, 16, 31, 47}) {
            Formats.of(type).dequantize(file.tensor().data(), r * file.tensor().rowBytes(), want, 0, cols);
            packed.dequantize(r, 0, cols, got, 0);
            assertSameValues(want, 0, got, cols, "row " + r);
            packed.dequantize(r, 256, 512, got, 0);
            assertSameValues(want, 256, got, 512, "row " + r + " from column 256");
            assertEquals(file.scalarDot(r, x, 0), packed.dot(r, x, 0), 1e-4f * (1 + Math.abs(file.scalarDot(r, x, 0))),
                    "float dot row " + r);
        }
    }

    /** Equal values (zero of either sign is zero: (8 - 8) * d is -0 for negative d in the scalar form). */
    private static void assertSameValues(float[] want, int from, float[] got, int n, String what) {
        for (int i = 0; i < n; i++) {
            assertEquals(want[from + i], got[i], 0f, what + ", element " + i);
        }
    }

    /** The warm-up view: first rows and columns of the same packed memory, through the 8-bit kernel. */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_0", "Q8_0"})
    void narrowViewReadsTheFirstColumnsOfEachRow(GGMLType type) {
        int cols = 512;
        CpuMatrix file = matrix(type, 32, cols, 11);
        CpuMatrix view = repack(file).narrow(32, 128);
        Q8Activations q = activations(128, 3);
        float[] out = new float[32];
        view.dotRows(0, 32, null, 0, q, out, 0);
        for (int r = 0; r < 32; r++) {
            double want = expected(file, r, q, 4); // the full row's first four blocks
            assertEquals(want, out[r], 1e-5 * (1e-3 + Math.abs(want)), "row " + r);
        }
    }

    /**
     * A whole model: decode with the repacked weights (after the start-up warm-up) gives the logits of
     * the file-layout kernel.
     */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_0", "Q8_0"})
    void modelDecodesAsWithTheFileLayout(GGMLType type) {
        try (Model m = TestModels.load(TestModels.tiny(type))) {
            int vocab = m.config().vocabSize();
            int[] tokens = new java.util.SplittableRandom(5).ints(12, 0, vocab).toArray();
            String before = System.getProperty("gale.cpu.repack");
            CpuBackend file;
            System.setProperty("gale.cpu.repack", "off");
            try {
                file = new CpuBackend(m.config(), m.weights(), 64, 8, 2, true);
            } finally {
                if (before == null) {
                    System.clearProperty("gale.cpu.repack");
                } else {
                    System.setProperty("gale.cpu.repack", before);
                }
            }
            try (file; CpuBackend repacked = new CpuBackend(m.config(), m.weights(), 64, 8, 2, true)) {
                repacked.warmUp(); // runs the kernels on its own buffers first: must leave nothing behind
                float[] a = new float[vocab];
                float[] b = new float[vocab];
                for (int i = 0; i < tokens.length; i++) {
                    file.forward(new int[] {tokens[i]}, i, a);
                    repacked.forward(new int[] {tokens[i]}, i, b);
                    Floats.assertClose(a, b, 1e-4, type + " logits at position " + i);
                }
                // the same tokens as one pre-fill chunk (Q4_0: the multi-token kernel; its 8-bit
                // activations are the decode kernel's, token by token) end at the same logits
                float[] chunked = new float[vocab];
                repacked.reset();
                repacked.forward(java.util.Arrays.copyOf(tokens, 8), 0, null);
                repacked.forward(java.util.Arrays.copyOfRange(tokens, 8, tokens.length), 8, chunked);
                Floats.assertClose(b, chunked, 1e-4, type + " logits after pre-fill in chunks");
            }
        }
    }

    @Test
    void cacheFileIsWrittenReadBackAndRewrittenWhenDamaged(@TempDir Path dir) throws IOException {
        Path model = Files.write(dir.resolve("model.gguf"), new byte[] {1, 2, 3});
        Path cache = dir.resolve("cache");
        CpuMatrix a = Q4_0PermutedTest.matrix(32, 256, 1);
        CpuMatrix b = matrix(GGMLType.Q8_0, 48, 512, 2);
        Tensor ta = new Tensor("a", GGMLType.Q4_0, 32, 256, a.tensor().data());
        Tensor tb = new Tensor("b", GGMLType.Q8_0, 48, 512, b.tensor().data());
        Q8Activations qa = activations(256, 3);
        Q8Activations qb = activations(512, 4);
        String before = System.getProperty("gale.cache.dir");
        System.setProperty("gale.cache.dir", cache.toString());
        try {
            for (int round = 0; round < 3; round++) {
                try (RepackStore s = RepackStore.open(model, List.of(ta, tb), parallel)) {
                    assertRowsMatch(a, s.matrix(ta, parallel), qa, new int[][] {{0, 32}});
                    assertRowsMatch(b, s.matrix(tb, parallel), qb, new int[][] {{0, 48}, {16, 40}});
                }
                List<Path> files;
                try (var list = Files.list(cache)) {
                    files = list.toList();
                }
                assertEquals(1, files.size(), "one cache file, no temporary left: " + files);
                assertEquals(4096 + a.tensor().data().byteSize() + b.tensor().data().byteSize(), Files.size(files.get(0)));
                if (round == 1) {
                    // damage the magic: the next open must rewrite it rather than read it
                    byte[] all = Files.readAllBytes(files.get(0));
                    all[0] ^= 1;
                    Files.write(files.get(0), all);
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty("gale.cache.dir");
            } else {
                System.setProperty("gale.cache.dir", before);
            }
        }
    }

    @Test
    void unwritableCacheFallsBackToMemory(@TempDir Path dir) throws IOException {
        Path model = Files.write(dir.resolve("model.gguf"), new byte[] {1});
        Path notADir = Files.write(dir.resolve("file"), new byte[] {0});
        CpuMatrix a = Q4_0PermutedTest.matrix(32, 256, 8);
        Q8Activations qa = activations(256, 9);
        String before = System.getProperty("gale.cache.dir");
        System.setProperty("gale.cache.dir", notADir.resolve("sub").toString());
        try (RepackStore s = RepackStore.open(model, List.of(a.tensor()), parallel)) {
            assertRowsMatch(a, s.matrix(a.tensor(), parallel), qa, new int[][] {{0, 32}});
        } finally {
            if (before == null) {
                System.clearProperty("gale.cache.dir");
            } else {
                System.setProperty("gale.cache.dir", before);
            }
        }
        assertTrue(Files.isRegularFile(notADir));
    }
}
