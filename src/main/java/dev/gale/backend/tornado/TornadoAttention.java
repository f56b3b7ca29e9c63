package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Grouped-query attention with a sliding window over the rolling KV cache, for the n queries of a
 * chunk: query head h at position p = pos + t reads KV head h / (heads / kvHeads) and the keys at
 * positions first(p) .. p, first(p) = max(0, p - W + 1) with a window W, else 0 (see
 * {@link dev.gale.backend.CacheLayout}).
 *
 * <p>Keys before the chunk come from the cache (position j in slot j mod slots); keys inside the
 * chunk come from the chunk's own K and V, because the chunk is written to the cache only after
 * this kernel ({@link TornadoKVCache}): a chunk longer than the window would otherwise overwrite
 * keys its earlier queries still need.
 *
 * <p>One work-group per (token, head). It walks the visible keys in tiles of one key per
 * work-item, keeping a running maximum and sum (the online softmax of "Self-attention does not
 * need O(n^2) memory", Rabe and Staats): each work-item scores one key of the tile, the group
 * shares the tile's weights in local memory, and each work-item accumulates its share of the head's
 * output dimensions.
 */
public final class TornadoAttention {
    /** Largest head size the local accumulator holds. */
    static final int MAX_HEAD_DIM = 256;

    private TornadoAttention() {
    }

    /**
     * @param qkv    each token's queries, keys and values, one row of (heads + 2 kvHeads) * headDim
     * @param slots  cache slots per layer (W with a window, the context size without)
     * @param window W, or 0 for full attention
     * @param scale  1 / sqrt(headDim)
     */
    public static void attention(KernelContext ctx, FloatArray qkv, FloatArray keyCache, FloatArray valueCache,
                                 FloatArray out, IntArray step, int heads, int kvHeads, int headDim, int slots,
                                 int window, float scale, int firstLayer) {
        float[] scratch = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        float[] weights = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        float[] acc = ctx.allocateFloatLocalArray(MAX_HEAD_DIM);
        int lid = ctx.localIdx;
        int lsize = ctx.localGroupSizeX;
        int t = ctx.groupIdx / heads;
        int h = ctx.groupIdx % heads;
        int pos = step.get(Step.POS);
        if (t < step.get(Step.N)) {
            int qDim = heads * headDim;
            int kvDim = kvHeads * headDim;
            int row = qDim + 2 * kvDim;
            int kvHead = (h / (heads / kvHeads)) * headDim;
            int query = t * row + h * headDim;
            int chunkKey = qDim + kvHead;           // + (j - pos) * row
            int chunkValue = qDim + kvDim + kvHead; // + (j - pos) * row
            int layer = (step.get(Step.LAYER) - firstLayer) * slots * kvDim;
            int p = pos + t;
            int first = window > 0 ? Math.max(0, p - window + 1) : 0;
            for (int d = lid; d < headDim; d += lsize) {
                acc[d] = 0f;
            }
            float runMax = -Float.MAX_VALUE;
            float runSum = 0f;
            for (int tile = first; tile <= p; tile += lsize) {
                // Each work-item scores one key of the tile. The score goes through local memory rather
                // than a variable set in two branches: TornadoVM 5.2 merges such a variable wrongly when
                // the branches hold loops (it keeps the second branch's value).
                int j = tile + lid;
                scratch[lid] = -Float.MAX_VALUE;
                if (j < pos) {
                    int key = layer + (j % slots) * kvDim + kvHead;
                    float dot = 0f;
                    for (int d = 0; d < headDim; d++) {
                        dot += qkv.get(query + d) * keyCache.get(key + d);
                    }
                    scratch[lid] = dot * scale;
                }
                if (j >= pos && j <= p) {
                    int key = (j - pos) * row + chunkKey;
                    float dot = 0f;
                    for (int d = 0; d < headDim; d++) {
                        dot += qkv.get(query + d) * qkv.get(key + d);
                    }
                    scratch[lid] = dot * scale;
                }
                float score = scratch[lid];
                // the tile's largest score ...
                ctx.localBarrier();
                for (int s = lsize / 2; s > 0; s /= 2) {
                    if (lid < s) {
                        scratch[lid] = Math.max(scratch[lid], scratch[lid + s]);
                    }
                    ctx.localBarrier();
                }
                float newMax = Math.max(runMax, scratch[0]);
                ctx.localBarrier(); // everyone has read scratch[0] before it is reused
                // ... the weights e^(score - max), shared, and their sum
                float e = j <= p ? TornadoMath.exp(score - newMax) : 0f;
                weights[lid] = e;
                scratch[lid] = e;
                ctx.localBarrier();
                for (int s = lsize / 2; s > 0; s /= 2) {
                    if (lid < s) {
                        scratch[lid] += scratch[lid + s];
                    }
                    ctx.localBarrier();
                }
                float tileSum = scratch[0];
                ctx.localBarrier(); // everyone has read scratch[0] before the next tile writes it
                float correction = TornadoMath.exp(runMax - newMax);
                runSum = runSum * correction + tileSum;
                runMax = newMax;
                int count = Math.min(lsize, p - tile + 1);
                int cached = Math.max(0, Math.min(count, pos - tile)); // tile keys still in the cache
                for (int d = lid; d < headDim; d += lsize) {
                    float a = acc[d] * correction;
                    for (int i = 0; i < cached; i++) {
                        a += weights[i] * valueCache.get(layer + ((tile + i) % slots) * kvDim + kvHead + d);
                    }
                    for (int i = cached; i < count; i++) {
                        a += weights[i] * qkv.get((tile + i - pos) * row + chunkValue + d);
                    }
                    acc[d] = a;
                }
            }
            for (int d = lid; d < headDim; d += lsize) {
                out.set(t * qDim + h * headDim + d, acc[d] / runSum);
            }
        }
    }
}
