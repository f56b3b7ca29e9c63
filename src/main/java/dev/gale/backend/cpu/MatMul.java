package dev.gale.backend.cpu;

/**
 * Runs the products of one or more matrices that read the same input (Q, K and V; gate and up) as
 * one parallel job, so a layer needs fewer barriers and the threads share out all the rows.
 * For one token (or a few, see {@link #SMALL}) it is a matrix-vector product over rows, with the
 * input quantized to 8 bits once when every matrix has an 8-bit kernel and quantized activations
 * are on. A chunk of any length goes the same way, token activations quantized in parallel, when
 * every matrix has a multi-token 8-bit kernel ({@link CpuMatrix#tokenKernel}: Q4_0 repacked for
 * AVX-512); other chunks of fewer than {@link #DOT} tokens use the float dot-product kernels of
 * {@link GemmDot}, and larger ones the blocked float product of {@link Gemm}. Reused across calls:
 * nothing is allocated per token (the quantized activations grow with the largest chunk so far).
 *
 * <p>The multi-token kernel serves every chunk length. With one group of rows per call it was
 * faster than the float kernels only below 32 tokens on the 1.1B shape; with two (sharing the
 * activation broadcasts) it is faster at every length measured (pre-fill tok/s, 2 threads, against
 * the float kernels: 7B Q4_0 48 tokens 16.1 vs 13.2, 256 tokens 15.2 vs 11.5; 1.1B Q4_0 48 tokens
 * 93 vs 84, 128 tokens 109 vs 73-85, 256 tokens 96-104 vs 82-84).
 */
final class MatMul implements Parallel.Range {
    /** Rows per unit of work for matrix-vector products. */
    static final int GRAIN = 64;
    /**
     * Chunks of fewer tokens than this use row-by-row dot products (each weight row is read once
     * and stays in L1 for all tokens) instead of decoding weights to floats for {@link Gemm}, whose
     * decoding cost is only repaid over more tokens.
     */
    static final int SMALL = 12;
    /**
     * Chunks of fewer tokens than this (and at least {@link #SMALL}) use a multi-token 8-bit kernel
     * or the dot-product kernels of {@link GemmDot}, which waste no padded tokens; larger chunks use
     * {@link Gemm}.
     */
    static final int DOT = 64;
    private final Parallel parallel;
    private final boolean quantize;
    /** Quantized activations per token: as many as the largest chunk so far needed (at most maxChunk). */
    private Q8Activations[] xq = new Q8Activations[0];
    /** Tokens packed for {@link Gemm}: allocated at the first chunk that needs it (29 MB for a 7B model). */
    private float[] xt = new float[0];
    private final int maxCols;
    private final int maxChunk;
    private final Gemm.Scratch[] scratch;
    /** Per-thread decoded rows for {@link GemmDot}. */
    private final float[][] rowsScratch;

    // the current job
    private CpuMatrix[] ms = new CpuMatrix[3];
    private float[][] outs = new float[3][];
    private final int[] firstChunk = new int[4];
    private int count;
    private float[] x;
    private int n;
    private int tp;
    private boolean useQ8;
    private boolean dot;
    /** Whether the product goes row range by row range through {@link CpuMatrix#dotRowsTokens}. */
    private boolean rowByRow;
    private int layouts;
    /** Quantizes tokens [start, end) of x into xq. */
    private final Parallel.Range quantizeTokens;
    private int cols;
    /** Packs tokens [start, end) of x into xt for {@link Gemm}. */
    private final Parallel.Range transpose;
    private final CpuMatrix[] one = new CpuMatrix[1];
    private final float[][] oneOut = new float[1][];

    /**
     * @param maxCols  the widest input
     * @param maxChunk the most tokens per product
     * @param quantize quantize activations to 8 bits for matrix-vector products when the types allow
     */
    MatMul(Parallel parallel, int maxCols, int maxChunk, boolean quantize) {
        this.parallel = parallel;
        this.quantize = quantize;
        this.quantizeTokens = (share, start, end) -> {
            for (int t = start; t < end; t++) {
                xq[t].quantize(x, t * cols, cols, layouts);
            }
        };
        this.maxCols = maxCols;
        this.maxChunk = maxChunk;
        this.transpose = (share, start, end) -> Gemm.transpose(x, start, end, cols, xt, tp);
        this.scratch = new Gemm.Scratch[parallel.threads()];
        for (int i = 0; i < scratch.length; i++) {
            scratch[i] = new Gemm.Scratch();
        }
        this.rowsScratch = new float[parallel.threads()][maxChunk >= SMALL ? GemmDot.R * maxCols : 0];
    }

    /** out = m . x for n tokens (out[t * rows + r]). */
    void run(float[] x, int n, CpuMatrix m, float[] out) {
        one[0] = m;
        oneOut[0] = out;
        run(x, n, one, oneOut, 1);
    }

    /** outs[i] = ms[i] . x for the first {@code count} matrices, all with the same number of columns. */
    void run(float[] x, int n, CpuMatrix[] ms, float[][] outs, int count) {
        int cols = ms[0].cols();
        boolean q8 = quantize && cols % Q8Activations.BLOCK == 0;
        boolean tokens = n > 1;
        int layouts = 0;
        for (int i = 0; i < count; i++) {
            if (ms[i].cols() != cols) {
                throw new IllegalArgumentException("matrices of one product must have the same columns");
            }
            q8 &= ms[i].supportsQ8();
            tokens &= ms[i].tokenKernel();
            layouts |= ms[i].q8Layouts();
        }
        // 8-bit activations for one token, a few, or a chunk of any length when every matrix has a
        // multi-token kernel; the float products otherwise
        q8 &= n < SMALL || tokens;
        this.ms = ms;
        this.outs = outs;
        this.count = count;
        this.x = x;
        this.n = n;
        this.cols = cols;
        this.useQ8 = q8;
        this.rowByRow = n < SMALL || q8;
        if (q8) {
            ensureQuantized(n);
            this.layouts = layouts;
            if (n == 1) {
                xq[0].quantize(x, 0, cols, layouts);
            } else {
                parallel.forChunks(n, 1, quantizeTokens);
            }
        }
        this.dot = !rowByRow && n < DOT;
        for (int i = 0; i < count; i++) {
            dot &= GemmDot.fits(ms[i]);
        }
        int grain = rowByRow ? GRAIN : Gemm.ROWS;
        int chunks = 0;
        for (int i = 0; i < count; i++) {
            firstChunk[i] = chunks;
            chunks += (ms[i].rows() + grain - 1) / grain;
        }
        firstChunk[count] = chunks;
        if (!rowByRow && !dot) {
            tp = Gemm.padded(n);
            if (xt.length < tp * cols) {
                xt = new float[Gemm.padded(maxChunk) * maxCols];
            }
            parallel.forChunks(n, 4, transpose);
        }
        parallel.forChunks(chunks, 1, this);
        this.x = null;
    }

    /**
     * Room for chunks of n tokens in a buffer grown with the chunks: the next power of two, at most
     * maxChunk (so short prompts and decode do not set up buffers for a whole chunk).
     */
    static int capacity(int n, int maxChunk) {
        return Math.min(maxChunk, Math.max(n, Integer.highestOneBit(n - 1) << 1));
    }

    /** Quantized activations for n tokens (see {@link #capacity}). */
    private void ensureQuantized(int n) {
        if (xq.length >= n) {
            return;
        }
        int size = capacity(n, maxChunk);
        Q8Activations[] grown = java.util.Arrays.copyOf(xq, size);
        for (int i = xq.length; i < size; i++) {
            grown[i] = new Q8Activations(maxCols);
        }
        xq = grown;
    }

    @Override
    public void run(int share, int start, int end) {
        int grain = rowByRow ? GRAIN : Gemm.ROWS;
        for (int chunk = start; chunk < end; chunk++) {
            int i = 0;
            while (chunk >= firstChunk[i + 1]) {
                i++;
            }
            CpuMatrix m = ms[i];
            int r0 = (chunk - firstChunk[i]) * grain;
            int r1 = Math.min(m.rows(), r0 + grain);
            if (n == 1) {
                m.dotRows(r0, r1, x, 0, useQ8 ? xq[0] : null, outs[i], r0);
            } else if (rowByRow) {
                m.dotRowsTokens(r0, r1, x, n, useQ8 ? xq : null, outs[i]);
            } else if (dot) {
                GemmDot.tile(m, r0, r1, x, n, outs[i], m.rows(), rowsScratch[share]);
            } else {
                Gemm.tile(m, r0, r1, xt, n, tp, outs[i], m.rows(), scratch[share]);
            }
        }
    }
}
