package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;

/**
 * Work-group reductions in local memory, shared by the kernels that give one work-group to a row.
 * The work-group size must be a power of two no larger than {@link #MAX_LOCAL} (the local arrays
 * are sized at compile time); {@link WorkGroups} checks this.
 */
final class TornadoReduce {
    /** Largest work-group size the kernels' local arrays allow. */
    static final int MAX_LOCAL = 256;

    private TornadoReduce() {
    }

    /**
     * The sum of {@code value} over the work-group, returned to every work-item. Every work-item of
     * the group must call it (it has barriers).
     */
    static float sum(KernelContext ctx, float[] scratch, float value) {
        int lid = ctx.localIdx;
        scratch[lid] = value;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                scratch[lid] += scratch[lid + stride];
            }
            ctx.localBarrier();
        }
        float total = scratch[0];
        ctx.localBarrier();
        return total;
    }

    /** The maximum of {@code value} over the work-group, returned to every work-item. */
    static float max(KernelContext ctx, float[] scratch, float value) {
        int lid = ctx.localIdx;
        scratch[lid] = value;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                scratch[lid] = Math.max(scratch[lid], scratch[lid + stride]);
            }
            ctx.localBarrier();
        }
        float total = scratch[0];
        ctx.localBarrier();
        return total;
    }
}
