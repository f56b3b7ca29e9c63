package dev.gale.backend.cpu;

import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Grouped-query, sliding-window attention of a chunk over the rolling cache. The query at
 * position i sees keys first(i) .. i: those before the chunk come from the cache (which still
 * holds them, as they are within the window), those inside the chunk from the chunk's own K and V.
 */
final class Attention implements Parallel.Range {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Keys whose value rows are summed with the output held in registers. */
    private static final int KEY_BLOCK = 32;

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final float scale;
    private final CacheLayout layout;
    private final float[][] scores; // per worker share: the group's heads' scores, maxKeys apart

    // the current job
    private float[] out;
    private float[] q;
    private float[] k;
    private float[] v;
    private float[] ck;
    private float[] cv;
    private int pos;
    private int span;

    Attention(ModelConfig c, CacheLayout layout, int maxChunk, int threads) {
        this.heads = c.headCount();
        this.kvHeads = c.headCountKv();
        this.headDim = c.headDim();
        this.group = c.groupSize();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.layout = layout;
        int maxKeys = layout.windowed() ? Math.min(layout.window(), layout.contextSize()) : layout.contextSize();
        this.scores = new float[threads][group * maxKeys];
    }

    /**
     * out[t][h] = softmax(q[t][h] . K / sqrt(d)) V over the visible keys, for the n tokens of a chunk
     * starting at position pos. k and v hold the chunk's keys and values.
     */
    void run(float[] out, float[] q, float[] k, float[] v, KVCache cache, int layer, int pos, int n,
             Parallel parallel) {
        this.out = out;
        this.q = q;
        this.k = k;
        this.v = v;
        this.ck = cache.keys[layer];
        this.cv = cache.values[layer];
        this.pos = pos;
        // whole groups per unit, unless that leaves too few units to share among the threads
        // (one token of a model with few KV heads)
        this.span = n * kvHeads >= 4 * parallel.threads() ? group : 1;
        parallel.forChunks(n * heads / span, 1, this);
        this.out = null;
        this.q = null;
        this.k = null;
        this.v = null;
    }

    /**
     * Units th = t * (heads / span) + u: query heads u * span .. (u + 1) * span - 1 of token t, all
     * of one KV group, so that each key and value row is read from memory once for the unit's
     * heads (and then from L1).
     */
    @Override
    public void run(int share, int start, int end) {
        int kvDim = kvHeads * headDim;
        float[] s = scores[share];
        int stride = s.length / group;
        int span = this.span;
        int units = heads / span;
        for (int th = start; th < end; th++) {
            int t = th / units;
            int h0 = th % units * span;
            int p = pos + t;
            int first = layout.firstVisible(p);
            int keys = p - first + 1;
            int kvOff = h0 / group * headDim;
            int qOff = t * heads * headDim + h0 * headDim;
            for (int j = first; j <= p; j++) {
                float[] ka = j < pos ? ck : k;
                int ko = (j < pos ? layout.slot(j) : j - pos) * kvDim + kvOff;
                for (int h = 0; h < span; h++) {
                    s[h * stride + j - first] = dot(q, qOff + h * headDim, ka, ko) * scale;
                }
            }
            for (int h = 0; h < span; h++) {
                softmax(s, h * stride, keys);
            }
            java.util.Arrays.fill(out, qOff, qOff + span * headDim, 0f);
            for (int j0 = first; j0 <= p; ) {
                // a block of keys all from the cache or all from the chunk
                int j1 = Math.min(p + 1, j0 < pos ? Math.min(pos, j0 + KEY_BLOCK) : j0 + KEY_BLOCK);
                for (int h = 0; h < span; h++) {
                    values(out, qOff + h * headDim, s, h * stride + j0 - first, j0, j1, kvDim, kvOff);
                }
                j0 = j1;
            }
        }
    }

    /** s[o .. o + keys) = softmax of itself (exponentials of the differences to the maximum, normalised). */
    private static void softmax(float[] s, int o, int keys) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < keys; j++) {
            max = Math.max(max, s[o + j]);
        }
        float sum = 0;
        for (int j = 0; j < keys; j++) {
            s[o + j] = (float) Math.exp(s[o + j] - max);
            sum += s[o + j];
        }
        float inv = 1f / sum;
        for (int j = 0; j < keys; j++) {
            s[o + j] *= inv;
        }
    }

    /**
     * out[oo ..] += a[j] * V[j] for keys j0 .. j1 (a[j] = s[so + j - j0]), key by key in order; with
     * four vectors of the output held in registers across the keys where headDim allows.
     */
    private void values(float[] out, int oo, float[] s, int so, int j0, int j1, int kvDim, int kvOff) {
        float[] va = j0 < pos ? cv : v;
        int i = 0;
        if (headDim % (4 * L) == 0) {
            for (; i < headDim; i += 4 * L) {
                FloatVector o0 = FloatVector.fromArray(F, out, oo + i);
                FloatVector o1 = FloatVector.fromArray(F, out, oo + i + L);
                FloatVector o2 = FloatVector.fromArray(F, out, oo + i + 2 * L);
                FloatVector o3 = FloatVector.fromArray(F, out, oo + i + 3 * L);
                for (int j = j0; j < j1; j++) {
                    int vo = (j < pos ? layout.slot(j) : j - pos) * kvDim + kvOff + i;
                    FloatVector a = FloatVector.broadcast(F, s[so + j - j0]);
                    o0 = FloatVector.fromArray(F, va, vo).fma(a, o0);
                    o1 = FloatVector.fromArray(F, va, vo + L).fma(a, o1);
                    o2 = FloatVector.fromArray(F, va, vo + 2 * L).fma(a, o2);
                    o3 = FloatVector.fromArray(F, va, vo + 3 * L).fma(a, o3);
                }
                o0.intoArray(out, oo + i);
                o1.intoArray(out, oo + i + L);
                o2.intoArray(out, oo + i + 2 * L);
                o3.intoArray(out, oo + i + 3 * L);
            }
            return;
        }
        for (int j = j0; j < j1; j++) {
            axpy(out, oo, s[so + j - j0], va, (j < pos ? layout.slot(j) : j - pos) * kvDim + kvOff);
        }
    }

    private float dot(float[] a, int ao, float[] b, int bo) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(headDim);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < headDim; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** out[oo ..] += a * x[xo ..] over headDim. */
    private void axpy(float[] out, int oo, float a, float[] x, int xo) {
        int i = 0;
        int bound = F.loopBound(headDim);
        FloatVector av = FloatVector.broadcast(F, a);
        for (; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).fma(av, FloatVector.fromArray(F, out, oo + i)).intoArray(out, oo + i);
        }
        for (; i < headDim; i++) {
            out[oo + i] += a * x[xo + i];
        }
    }
}
