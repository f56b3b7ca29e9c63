package dev.gale.backend.cpu;


import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Runs the matrix kernels on the first rows of some of the model's own weight matrices until the
 * JIT has compiled them, so that the first real forward pass does not crawl through Vector API
 * code in the interpreter and C1 (where every vector operation allocates). The model's own mapped
 * memory is used on purpose: kernels compiled while reading another kind of memory segment (a heap
 * array) are specialised for it and run slower on the mapped file afterwards.
 */
final class Warmup {
    private static final int ROWS = Gemm.ROWS;
    private static final int COLS = 2 * Gemm.KB;

    /** Short-chunk runs per matrix: more than the few-token ones, their kernels compile later. */
    private static final int DOT_ITERATIONS = 60;

    private Warmup() {
    }

    /** Warms up on narrow views of {@code matrices} (the backend's own, as it reads them). */
    static void run(List<CpuMatrix> matrices, boolean quantize, Parallel parallel) {
        List<CpuMatrix> ms = new ArrayList<>();
        Set<Class<?>> kinds = new HashSet<>();
        for (CpuMatrix m : matrices) {
            // the first rows and columns: short rows make every call cheap while the kernels still
            // run interpreted (the values do not matter); one matrix per kind (a Q4_0 file: once, not
            // three times the same kernels)
            int cols = Math.min(m.cols(), COLS);
            if (cols % m.tensor().type().blockSize != 0 || m.rows() < ROWS || !kinds.add(m.getClass())) {
                continue;
            }
            ms.add(m.narrow(ROWS, cols));
        }
        int cols = 1;
        for (CpuMatrix m : ms) {
            cols = Math.max(cols, m.cols());
        }
        // one token (decode), a few and a short prompt's chunk (the 8-bit multi-token kernel, or for
        // types without one the few-token path and GemmDot); Gemm, for chunks of 64 tokens or more
        // of those types, compiles when first used: a prompt that long takes seconds anyway, and
        // warming it here cost every start 0.4 s (7B Q4_0)
        int n = 2 * MatMul.SMALL;
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] out = new float[n * ROWS];
        MatMul mm = new MatMul(parallel, cols, n, quantize);
        for (CpuMatrix m : ms) {
            for (int i = 0; i < 200; i++) {
                mm.run(x, 1, m, out);
            }
            for (int i = 0; i < 30; i++) {
                mm.run(x, MatMul.SMALL - 1, m, out);
            }
            for (int i = 0; i < DOT_ITERATIONS; i++) {
                mm.run(x, n, m, out);
            }
        }
    }
}
