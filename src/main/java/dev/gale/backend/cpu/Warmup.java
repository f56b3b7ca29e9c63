package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.model.Weights;

import java.util.ArrayList;
import java.util.List;
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

    private Warmup() {
    }

    static void run(Weights weights, boolean quantize, Parallel parallel) {
        Weights.Layer first = weights.layers()[0];
        List<CpuMatrix> ms = new ArrayList<>();
        for (Tensor t : new Tensor[] {first.attnQ(), first.ffnDown(), weights.output()}) {
            // narrow views of the first rows' bytes: short rows make every call cheap while the
            // kernels still run interpreted (the values do not matter)
            int cols = Math.min(t.cols(), COLS);
            long bytes = t.type().byteSize((long) ROWS * cols);
            if (cols % t.type().blockSize != 0 || bytes > t.data().byteSize()) {
                continue;
            }
            ms.add(CpuMatrix.of(new Tensor(t.name(), t.type(), ROWS, cols, t.data().asSlice(0, bytes))));
        }
        int cols = 1;
        for (CpuMatrix m : ms) {
            cols = Math.max(cols, m.cols());
        }
        // one token (decode), a few (the 8-bit few-token path) and a short prompt's chunk (GemmDot);
        // Gemm, for chunks of 64 tokens or more, compiles when first used: a prompt that long takes
        // seconds anyway, and warming it here cost every start 0.4 s (7B Q4_0)
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
                mm.run(x, n, m, out);
            }
        }
    }
}
