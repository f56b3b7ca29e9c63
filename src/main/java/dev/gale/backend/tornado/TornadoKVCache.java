package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Writes a chunk's keys and values into the rolling cache after attention has read it: position p
 * goes to slot p mod slots. Only the last {@code slots} tokens of a chunk survive, so only those are
 * written (and no two work-items write the same slot). One work-item per element.
 */
public final class TornadoKVCache {
    private TornadoKVCache() {
    }

    public static void storeKV(KernelContext ctx, FloatArray k, FloatArray v, FloatArray keyCache,
                             FloatArray valueCache, IntArray step, int kvDim, int slots, int firstLayer) {
        int i = ctx.globalIdx;
        int n = step.get(Step.N);
        int t = i / kvDim;
        if (i < n * kvDim && t >= n - slots) {
            int slot = (step.get(Step.POS) + t) % slots;
            int at = (step.get(Step.LAYER) - firstLayer) * slots * kvDim + slot * kvDim + i % kvDim;
            keyCache.set(at, k.get(i));
            valueCache.set(at, v.get(i));
        }
    }
}
