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

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final float scale;
    private final CacheLayout layout;
    private final float[][] scores; // per worker share

    // the current job
    private float[] out;
    private float[] q;
    private float[] k;
    private float[] v;
    private float[] ck;
    private float[] cv;
    private int pos;

    Attention(ModelConfig c, CacheLayout layout, int maxChunk, int threads) {
        this.heads = c.headCount();
        this.kvHeads = c.headCountKv();
        this.headDim = c.headDim();
        this.group = c.groupSize();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.layout = layout;
        int maxKeys = layout.windowed() ? Math.min(layout.window(), layout.contextSize()) : layout.contextSize();
        this.scores = new float[threads][maxKeys];
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
        parallel.forChunks(n * heads, 1, this);
        this.out = null;
        this.q = null;
        this.k = null;
        this.v = null;
    }

    @Override
    public void run(int share, int start, int end) {
        int kvDim = kvHeads * headDim;
        float[] s = scores[share];
        for (int th = start; th < end; th++) {
            int t = th / heads;
            int h = th % heads;
            int p = pos + t;
            int first = layout.firstVisible(p);
            int kvOff = (h / group) * headDim;
            int qOff = t * heads * headDim + h * headDim;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = first; j <= p; j++) {
                float dot = j < pos
                        ? dot(q, qOff, ck, layout.slot(j) * kvDim + kvOff)
                        : dot(q, qOff, k, (j - pos) * kvDim + kvOff);
                s[j - first] = dot * scale;
                max = Math.max(max, s[j - first]);
            }
            float sum = 0;
            for (int j = 0; j <= p - first; j++) {
                s[j] = (float) Math.exp(s[j] - max);
                sum += s[j];
            }
            float inv = 1f / sum;
            java.util.Arrays.fill(out, qOff, qOff + headDim, 0f);
            for (int j = first; j <= p; j++) {
                float a = s[j - first] * inv;
                if (j < pos) {
                    axpy(out, qOff, a, cv, layout.slot(j) * kvDim + kvOff);
                } else {
                    axpy(out, qOff, a, v, (j - pos) * kvDim + kvOff);
                }
            }
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
