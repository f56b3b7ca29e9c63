package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** The residual connection: x += y over the chunk's rows of {@code dim}. */
public final class TornadoResidual {
    private TornadoResidual() {
    }

    public static void residualAdd(KernelContext ctx, FloatArray x, FloatArray y, IntArray step, int dim) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * dim) {
            x.set(i, x.get(i) + y.get(i));
        }
    }
}
