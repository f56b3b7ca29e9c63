package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Writes a chunk's keys and values into the rolling cache after attention has read them: position
 * p goes to slot p mod slots. Only the last {@code slots} tokens of a chunk survive, so only those
 * are written (and no two work-items write the same slot). One work-item per element.
 */
public final class TornadoKVCache {
    private TornadoKVCache() {
    }

    /**
     * @param qkv each token's queries, keys and values, one row of qDim + 2 kvDim
     */
    public static void storeKV(KernelContext ctx, FloatArray qkv, FloatArray keyCache, FloatArray valueCache,
                               IntArray step, int qDim, int kvDim, int slots, int firstLayer) {
        int i = ctx.globalIdx;
        int n = step.get(Step.N);
        int t = i / kvDim;
        if (i < n * kvDim && t >= n - slots) {
            int c = i % kvDim;
            int slot = (step.get(Step.POS) + t) % slots;
            int at = (step.get(Step.LAYER) - firstLayer) * slots * kvDim + slot * kvDim + c;
            int row = t * (qDim + 2 * kvDim) + qDim;
            keyCache.set(at, qkv.get(row + c));
            valueCache.set(at, qkv.get(row + kvDim + c));
        }
    }
}
