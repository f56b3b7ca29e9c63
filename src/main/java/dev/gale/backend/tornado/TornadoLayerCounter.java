package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The layer counter kept on the device: one graph runs every layer of its group, one execution per
 * layer, and its last task moves {@code step[LAYER]} on, so the host sends nothing between layers.
 */
public final class TornadoLayerCounter {
    private TornadoLayerCounter() {
    }

    /** step[LAYER] += 1 (a single work-item). */
    public static void nextLayer(KernelContext ctx, IntArray step) {
        if (ctx.globalIdx == 0) {
            step.set(Step.LAYER, step.get(Step.LAYER) + 1);
        }
    }

    /** out = step, so the host can read back where the device is (and wait for it). */
    public static void copyStep(KernelContext ctx, IntArray step, IntArray out) {
        int i = ctx.globalIdx;
        if (i < Step.SIZE) {
            out.set(i, step.get(i));
        }
    }
}
