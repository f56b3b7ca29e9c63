package dev.gale.backend.cpu;


import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Gets the kernels of the first forward pass compiled by the JIT (C2) before it starts, so that it
 * does not crawl through Vector API code in the interpreter and C1, where every vector operation
 * allocates and runs the API's Java fallback.
 *
 * <p>The JIT compiles a method after some thousands of calls and loop iterations, with the
 * profile those calls leave. So the kernels are called, on one thread, on the smallest pieces of
 * the model's own matrices that take their whole code path (two groups of sixteen rows, two
 * blocks per row for the repacked types): cheap calls while they still run slowly, and no
 * on-stack-replacement compiles of their loops (two extra C2 compiles of a large kernel). The
 * model's own mapped memory is used on purpose: kernels compiled while reading another kind of
 * memory segment (a heap array) are specialised for it and run slower on the mapped file.
 * (Calls on empty pieces would reach the thresholds with less work, but their profile made C2
 * compile the kernels' loops as rare paths: pre-fill 7 instead of 12 tok/s, 7B Q4_0.)
 *
 * <p>The launcher keeps C2 from compiling the Vector API's Java fallbacks
 * ({@code jvm/compiler-directives.json}), which are hot only while the kernels still run slowly:
 * without that, C2 spent over a second of a two-core start on them before reaching the kernels.
 */
final class Warmup {
    /** Two groups of sixteen rows: the repacked decode kernels take groups in pairs. */
    static final int ROWS = 2 * InterleavedMatrix.ROWS;
    /**
     * Kernel calls before the other kernels are warmed: about the JIT's thresholds for these calls
     * (1500), or what the system property {@code gale.warmup.calls} says. The launcher, which lowers
     * those thresholds for this package to 0.3x, passes 600.
     */
    static final int CALLS = Math.max(1, Integer.getInteger("gale.warmup.calls", 1500));
    /**
     * Between the rounds that wait for C2, the warm-up thread sleeps this long: the calls that
     * brought the kernels to the JIT's thresholds are made, and on two cores the compiler threads
     * need the CPU more than this thread does.
     */
    private static final long NAP_NANOS = 1_000_000;
    /** A round of kernel calls this fast (per kind of matrix) means C2's code runs: stop. */
    private static final long COMPILED_NANOS = 20_000;
    /** Give up waiting for C2 after this long (a slower machine, or a JIT that behaves otherwise). */
    private static final long MAX_WAIT_NANOS = 3_000_000_000L;
    /** Products per chunk length through {@link MatMul} (its quantization and thread hand-off). */
    private static final int RUNS = 50;

    private Warmup() {
    }

    /**
     * Warms up on narrow views of {@code matrices} (the backend's own, as it reads them); runs
     * {@code others} (the warm-up of the other kernels) while C2 compiles the matrix kernels.
     */
    static void run(List<CpuMatrix> matrices, boolean quantize, Parallel parallel, Runnable others) {
        List<CpuMatrix> ms = new ArrayList<>();
        Set<Class<?>> kinds = new HashSet<>();
        int cols = 1;
        for (CpuMatrix m : matrices) {
            // one matrix per kind (a Q4_0 file: once, not three times the same kernels); two blocks
            // of a repacked matrix, as wide a piece of others as their kernels' unrolled steps need
            int c = m instanceof InterleavedMatrix ? 2 * InterleavedMatrix.BLOCK : Math.min(m.cols(), 2 * Gemm.KB);
            if (c % m.tensor().type().blockSize != 0 || m.rows() < ROWS || !kinds.add(m.getClass())) {
                continue;
            }
            ms.add(m.narrow(ROWS, c));
            cols = Math.max(cols, c);
        }
        // one token (decode), a few, and a short prompt's chunk (the 8-bit multi-token kernel, or for
        // types without one GemmDot); Gemm, for chunks of 64 tokens or more of those types, compiles
        // when first used: a prompt that long takes seconds anyway
        int n = 2 * MatMul.SMALL;
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] out = new float[n * ROWS];
        Q8Activations[] xq = new Q8Activations[4];
        for (int t = 0; t < xq.length; t++) {
            xq[t] = new Q8Activations(cols);
        }
        for (int i = 0; i < CALLS; i++) {
            callKernels(ms, quantize, x, xq, out);
        }
        others.run();
        long start = System.nanoTime();
        while (!ms.isEmpty()) {
            long t0 = System.nanoTime();
            callKernels(ms, quantize, x, xq, out);
            long t1 = System.nanoTime();
            if (t1 - t0 < COMPILED_NANOS * ms.size() || t1 - start > MAX_WAIT_NANOS) {
                break;
            }
            LockSupport.parkNanos(NAP_NANOS);
        }
        // the products around the kernels, as the forward pass runs them
        MatMul mm = new MatMul(parallel, cols, n, quantize);
        for (int i = 0; i < RUNS; i++) {
            for (CpuMatrix m : ms) {
                mm.run(x, 1, m, out);
                mm.run(x, MatMul.SMALL - 1, m, out);
                mm.run(x, n, m, out);
            }
        }
    }

    /** One call of each kernel a product may use on each matrix: quantization, decode's, the multi-token one. */
    private static void callKernels(List<CpuMatrix> ms, boolean quantize, float[] x, Q8Activations[] xq,
                                    float[] out) {
        for (CpuMatrix m : ms) {
            boolean q8 = quantize && m.supportsQ8();
            boolean tokens = q8 && m.tokenKernel();
            for (int t = 0; q8 && t < (tokens ? xq.length : 1); t++) {
                xq[t].quantize(x, t * m.cols(), m.cols(), m.q8Layouts());
            }
            m.dotRows(0, ROWS, x, 0, q8 ? xq[0] : null, out, 0);
            if (tokens) {
                m.dotRowsTokens(0, ROWS, x, xq.length, xq, out);
            }
        }
    }
}
