package dev.gale.backend.reference;

import dev.gale.backend.Backend;
import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;
import dev.gale.model.Weights;

/**
 * The transformer written plainly from the paper, for tests: token by token, a full cache of every
 * position (no rolling buffer) and the sliding window as a band mask. Slow and memory-hungry by
 * design; it is the oracle the real backends are held to.
 */
public final class ReferenceBackend implements Backend {
    private final ModelConfig c;
    private final Weights w;
    private final CacheLayout layout;
    private final float[][][] keys;   // [layer][position][kvDim]
    private final float[][][] values;
    private int next;

    public ReferenceBackend(ModelConfig config, Weights weights, int contextSize) {
        this.c = config;
        this.w = weights;
        this.layout = CacheLayout.of(config.slidingWindow(), contextSize);
        this.keys = new float[c.blockCount()][contextSize][];
        this.values = new float[c.blockCount()][contextSize][];
    }

    @Override
    public String name() {
        return "reference";
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
        return Integer.MAX_VALUE;
    }

    @Override
    public void forward(int[] tokens, int pos, float[] logits) {
        if (pos != next) {
            throw new IllegalArgumentException("position " + pos + " does not continue the sequence at " + next);
        }
        if (pos + tokens.length > layout.contextSize()) {
            throw new IllegalArgumentException("position " + (pos + tokens.length) + " is past the context size "
                    + layout.contextSize());
        }
        int vocab = c.vocabSize();
        for (int t = 0; t < tokens.length; t++) {
            float[] out = step(tokens[t], pos + t);
            if (logits != null && logits.length == tokens.length * vocab) {
                System.arraycopy(out, 0, logits, t * vocab, vocab);
            } else if (logits != null && t == tokens.length - 1) {
                System.arraycopy(out, 0, logits, 0, vocab);
            }
        }
        next = pos + tokens.length;
    }

    /** One token through the whole model; returns its logits. */
    private float[] step(int token, int pos) {
        int dim = c.embeddingLength();
        float[] x = ReferenceOps.row(w.tokenEmbedding(), token);
        float[] xb = new float[dim];
        for (int l = 0; l < c.blockCount(); l++) {
            Weights.Layer L = w.layers()[l];
            ReferenceOps.rmsnorm(xb, x, ReferenceOps.vector(L.attnNorm()), c.rmsEps());
            float[] q = new float[c.qDim()];
            float[] k = new float[c.kvDim()];
            float[] v = new float[c.kvDim()];
            ReferenceOps.matvec(L.attnQ(), xb, q);
            ReferenceOps.matvec(L.attnK(), xb, k);
            ReferenceOps.matvec(L.attnV(), xb, v);
            ReferenceOps.rope(q, c.headCount(), c.headDim(), c.ropeDimensionCount(), pos, c.ropeFreqBase());
            ReferenceOps.rope(k, c.headCountKv(), c.headDim(), c.ropeDimensionCount(), pos, c.ropeFreqBase());
            keys[l][pos] = k;
            values[l][pos] = v;
            float[] att = new float[c.qDim()];
            // the band mask, written out: key j is visible when j <= pos and j > pos - W
            int window = c.slidingWindow();
            int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
            ReferenceOps.attention(att, q, keys[l], values[l], first, pos, c.headCount(), c.headCountKv(),
                    c.headDim());
            float[] o = new float[dim];
            ReferenceOps.matvec(L.attnOutput(), att, o);
            for (int i = 0; i < dim; i++) {
                x[i] += o[i];
            }
            ReferenceOps.rmsnorm(xb, x, ReferenceOps.vector(L.ffnNorm()), c.rmsEps());
            float[] gate = new float[c.feedForwardLength()];
            float[] up = new float[c.feedForwardLength()];
            ReferenceOps.matvec(L.ffnGate(), xb, gate);
            ReferenceOps.matvec(L.ffnUp(), xb, up);
            ReferenceOps.swiglu(gate, up);
            ReferenceOps.matvec(L.ffnDown(), gate, o);
            for (int i = 0; i < dim; i++) {
                x[i] += o[i];
            }
        }
        ReferenceOps.rmsnorm(xb, x, ReferenceOps.vector(w.outputNorm()), c.rmsEps());
        float[] logits = new float[c.vocabSize()];
        ReferenceOps.matvec(w.output(), xb, logits);
        return logits;
    }

    @Override
    public void reset() {
        next = 0;
        for (int l = 0; l < c.blockCount(); l++) {
            java.util.Arrays.fill(keys[l], null);
            java.util.Arrays.fill(values[l], null);
        }
    }

    @Override
    public long cacheBytes() {
        long n = 0;
        for (float[][] layer : keys) {
            for (float[] k : layer) {
                n += k == null ? 0 : 2L * k.length * Float.BYTES;
            }
        }
        return n;
    }

    @Override
    public void close() {
    }
}
