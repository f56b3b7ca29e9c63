package dev.gale.backend.cpu;

import dev.gale.backend.Backend;
import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;
import dev.gale.model.Tensor;
import dev.gale.model.Weights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The CPU backend: Vector API kernels, weights read from the mapped file, a rolling-buffer KV
 * cache and chunked prefill. A chunk's tokens go through each layer together, so every weight
 * matrix is read once per chunk.
 */
public final class CpuBackend implements Backend {
    private final ModelConfig c;
    private final CacheLayout layout;
    private final int maxChunk;
    private final Parallel parallel;
    /** Weights repacked at load ({@link InterleavedMatrix}), null if none; closed with the backend. */
    private final RepackStore repacked;

    private final CpuMatrix embedding;
    private final CpuLayer[] layers;
    private final float[] outputNorm;
    private final CpuMatrix output;
    private final Rope rope;
    private final Attention attention;

    // activations of a chunk, row-major [token][feature], for as many tokens as the largest chunk so
    // far (see ensureTokens)
    private int capacity;
    private float[] x;
    private float[] xb;
    private float[] q;
    private float[] k;
    private float[] v;
    private float[] att;
    private float[] gate;
    private float[] up;
    private float[] logitRows;

    private final KVCache cache;
    private final MatMul matmul;
    private final boolean quantize;
    private final CpuMatrix[] group = new CpuMatrix[3];
    private final float[][] groupOut = new float[3][];
    private int next;

    /**
     * @param contextSize positions a sequence may reach
     * @param maxChunk    most tokens per forward call
     * @param threads     threads for matrix products and attention
     */
    public CpuBackend(ModelConfig config, Weights weights, int contextSize, int maxChunk, int threads) {
        this(config, weights, contextSize, maxChunk, threads, false);
    }

    /**
     * @param quantizeActivations quantize activations to 8 bits (as llama.cpp does) for products of
     *                            fewer than {@link MatMul#SMALL} tokens (decode, short prompts) where
     *                            the weight type has an 8-bit kernel (Q4_0, Q8_0): faster decode, logits a
     *                            little off the float ones (see QuantizedActivationsTest); larger
     *                            chunks always use the float GEMM
     */
    public CpuBackend(ModelConfig config, Weights weights, int contextSize, int maxChunk, int threads,
                      boolean quantizeActivations) {
        this(config, weights, contextSize, maxChunk, threads, quantizeActivations, null);
    }

    /**
     * @param modelFile the GGUF file the weights come from, naming the cache of repacked weights
     *                  ({@link RepackStore}); null to repack in memory
     */
    public CpuBackend(ModelConfig config, Weights weights, int contextSize, int maxChunk, int threads,
                      boolean quantizeActivations, Path modelFile) {
        this.c = config;
        this.layout = CacheLayout.of(config.slidingWindow(), contextSize);
        this.maxChunk = maxChunk;
        this.parallel = new Parallel(threads);
        this.quantize = quantizeActivations;
        List<Tensor> repack = new ArrayList<>();
        if (quantizeActivations && !RepackStore.mode().equals("off")) {
            for (Weights.Layer w : weights.layers()) {
                for (Tensor t : w.all()) {
                    if (InterleavedMatrix.fits(t)) {
                        repack.add(t);
                    }
                }
            }
            if (InterleavedMatrix.fits(weights.output())) {
                repack.add(weights.output());
            }
        }
        this.repacked = repack.isEmpty() ? null : RepackStore.open(modelFile, repack, parallel);
        this.embedding = CpuMatrix.of(weights.tokenEmbedding());
        this.layers = new CpuLayer[c.blockCount()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new CpuLayer(weights.layers()[i], this::matrix);
        }
        this.outputNorm = CpuLayer.vector(weights.outputNorm());
        this.output = matrix(weights.output());
        this.rope = new Rope(c.headDim(), c.ropeDimensionCount(), c.ropeFreqBase(), maxChunk);
        this.cache = new KVCache(c.blockCount(), layout, c.kvDim());
        this.attention = new Attention(c, layout, maxChunk, threads);
        int dim = c.embeddingLength();
        ensureTokens(1);
        int widest = Math.max(Math.max(dim, c.qDim()), c.feedForwardLength());
        this.matmul = new MatMul(parallel, widest, maxChunk, quantizeActivations);
    }

    /**
     * Room for chunks of n tokens in the activation buffers, grown as {@link MatMul#capacity} says
     * when a larger chunk comes: short prompts and decode do not allocate and zero buffers for
     * maxChunk tokens (130 MB for a 7B model and chunks of 512).
     */
    private void ensureTokens(int n) {
        if (n <= capacity) {
            return;
        }
        int t = MatMul.capacity(n, maxChunk);
        int dim = c.embeddingLength();
        this.x = new float[t * dim];
        this.xb = new float[t * Math.max(dim, c.qDim())];
        this.q = new float[t * c.qDim()];
        this.k = new float[t * c.kvDim()];
        this.v = new float[t * c.kvDim()];
        this.att = new float[t * c.qDim()];
        this.gate = new float[t * c.feedForwardLength()];
        this.up = new float[t * c.feedForwardLength()];
        this.logitRows = new float[t * dim];
        this.capacity = t;
    }

    /**
     * The CPU matrix of a product's weights: Q4_0 and Q8_0 repacked for their decode kernels where they run
     * (8-bit activations, AVX-512; see {@link InterleavedMatrix}), otherwise read from the mapped file.
     */
    private CpuMatrix matrix(Tensor t) {
        return repacked != null && InterleavedMatrix.fits(t) ? repacked.matrix(t, parallel) : CpuMatrix.of(t);
    }

    /**
     * Loads and initialises the kernels' classes (and so the Vector API): a tenth of a second that a
     * launcher can spend on another thread while it does something else first.
     */
    public static void loadClasses() {
        for (Class<?> c : List.of(InterleavedMatrix.class, Q4_0Interleaved.class, Q8_0Interleaved.class,
                Q4_0Matrix.class, Q8_0Matrix.class, Q4_KMatrix.class, Q6_KMatrix.class, Q8Activations.class,
                MatMul.class, Kernels.class, Attention.class, Rope.class)) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Compiles the kernels of this model's weight types and the other kernels of a forward pass on
     * small data, so that the first forward pass runs compiled code (see {@link Warmup}); about a
     * second on two cores.
     */
    public void warmUp() {
        Warmup.run(List.of(layers[0].attnQ, layers[0].ffnDown, output), quantize, parallel, this::warmUpOthers);
    }

    /**
     * The token embedding's row decoding, the element-wise kernels, RoPE and attention: one token at
     * position 0, a short piece of the activations where the kernel allows (nothing goes to the
     * cache; forward overwrites these buffers).
     */
    private void warmUpOthers() {
        int piece = Math.min(64, c.embeddingLength());
        int cols = Math.min(embedding.cols(), 2 * Gemm.KB);
        if (cols % embedding.tensor().type().blockSize == 0) {
            CpuMatrix row = embedding.narrow(1, cols);
            for (int i = 0; i < Warmup.CALLS; i++) {
                row.row(0, x, 0);
            }
        }
        java.util.Arrays.fill(x, 0, piece, 0.5f);
        rope.prepare(0, 1);
        for (int i = 0; i < 4 * Warmup.CALLS; i++) {
            Kernels.rmsnorm(xb, x, layers[0].attnNorm, piece, 1, c.rmsEps());
            Kernels.add(x, xb, piece);
            Kernels.swiglu(gate, up, piece);
            rope.apply(q, 1, 1);
        }
        for (int i = 0; i < Warmup.CALLS; i++) {
            attention.run(att, q, k, v, cache, 0, 0, 1, parallel);
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public CacheLayout cacheLayout() {
        return layout;
    }

    @Override
    public int maxChunk() {
        return maxChunk;
    }

    public int threads() {
        return parallel.threads();
    }

    @Override
    public void forward(int[] tokens, int pos, float[] logits) {
        int n = tokens.length;
        if (n < 1 || n > maxChunk) {
            throw new IllegalArgumentException("chunk of " + n + " tokens; this backend takes 1 to " + maxChunk);
        }
        if (pos != next) {
            throw new IllegalArgumentException("position " + pos + " does not continue the sequence at " + next);
        }
        if (pos + n > layout.contextSize()) {
            throw new IllegalArgumentException("position " + (pos + n) + " is past the context size "
                    + layout.contextSize());
        }
        ensureTokens(n);
        int dim = c.embeddingLength();
        for (int t = 0; t < n; t++) {
            if (tokens[t] < 0 || tokens[t] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[t] + " is outside the vocabulary of "
                        + c.vocabSize());
            }
            embedding.row(tokens[t], x, t * dim);
        }
        cache.ensure(pos + n);
        rope.prepare(pos, n);
        for (int l = 0; l < layers.length; l++) {
            layer(l, layers[l], pos, n);
        }
        next = pos + n;
        if (logits != null) {
            logits(n, logits);
        }
    }

    private void layer(int l, CpuLayer L, int pos, int n) {
        int dim = c.embeddingLength();
        // attention block
        Kernels.rmsnorm(xb, x, L.attnNorm, dim, n, c.rmsEps());
        project(xb, n, L.attnQ, q, L.attnK, k, L.attnV, v);
        rope.apply(q, n, c.headCount());
        rope.apply(k, n, c.headCountKv());
        attention.run(att, q, k, v, cache, l, pos, n, parallel);
        cache.store(l, k, v, pos, n);
        matmul.run(att, n, L.attnOutput, xb);
        Kernels.add(x, xb, n * dim);
        // feed-forward block
        Kernels.rmsnorm(xb, x, L.ffnNorm, dim, n, c.rmsEps());
        project(xb, n, L.ffnGate, gate, L.ffnUp, up, null, null);
        Kernels.swiglu(gate, up, n * c.feedForwardLength());
        matmul.run(gate, n, L.ffnDown, xb);
        Kernels.add(x, xb, n * dim);
    }

    /** Two or three products of the same input as one parallel job. */
    private void project(float[] in, int n, CpuMatrix m0, float[] o0, CpuMatrix m1, float[] o1, CpuMatrix m2,
                         float[] o2) {
        group[0] = m0;
        groupOut[0] = o0;
        group[1] = m1;
        groupOut[1] = o1;
        group[2] = m2;
        groupOut[2] = o2;
        matmul.run(in, n, group, groupOut, m2 == null ? 2 : 3);
    }

    private void logits(int n, float[] logits) {
        int dim = c.embeddingLength();
        int vocab = c.vocabSize();
        if (logits.length == (long) n * vocab) {
            Kernels.rmsnorm(logitRows, x, outputNorm, dim, n, c.rmsEps());
            matmul.run(logitRows, n, output, logits);
        } else if (logits.length == vocab) {
            System.arraycopy(x, (n - 1) * dim, logitRows, 0, dim);
            Kernels.rmsnorm(logitRows, logitRows, outputNorm, dim, 1, c.rmsEps());
            matmul.run(logitRows, 1, output, logits);
        } else {
            throw new IllegalArgumentException("logits buffer of " + logits.length + " floats fits neither "
                    + vocab + " nor " + n + " x " + vocab);
        }
    }

    @Override
    public void reset() {
        next = 0;
    }

    @Override
    public long cacheBytes() {
        return cache.bytes();
    }

    @Override
    public void close() {
        parallel.close();
        if (repacked != null) {
            repacked.close();
        }
    }

    /** One layer's weights, prepared for the CPU. */
    private static final class CpuLayer {
        final float[] attnNorm;
        final float[] ffnNorm;
        final CpuMatrix attnQ;
        final CpuMatrix attnK;
        final CpuMatrix attnV;
        final CpuMatrix attnOutput;
        final CpuMatrix ffnGate;
        final CpuMatrix ffnDown;
        final CpuMatrix ffnUp;

        CpuLayer(Weights.Layer w, Function<Tensor, CpuMatrix> matrix) {
            attnNorm = vector(w.attnNorm());
            ffnNorm = vector(w.ffnNorm());
            attnQ = matrix.apply(w.attnQ());
            attnK = matrix.apply(w.attnK());
            attnV = matrix.apply(w.attnV());
            attnOutput = matrix.apply(w.attnOutput());
            ffnGate = matrix.apply(w.ffnGate());
            ffnDown = matrix.apply(w.ffnDown());
            ffnUp = matrix.apply(w.ffnUp());
        }

        static float[] vector(Tensor t) {
            float[] out = new float[Math.toIntExact(t.elements())];
            CpuMatrix.of(t).row(0, out, 0);
            return out;
        }
    }
}
