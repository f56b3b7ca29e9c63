package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * SwiGLU over the chunk's feed-forward rows: out = silu(gate) * up, silu(g) = g / (1 + e^-g).
 * {@code gateUp} holds each token's gate and up projections side by side (2 * hidden floats), as
 * one matrix-vector product computes them.
 */
public final class TornadoSwiGlu {
    private TornadoSwiGlu() {
    }

    public static void swiglu(KernelContext ctx, FloatArray gateUp, FloatArray out, IntArray step, int hidden) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * hidden) {
            int at = (i / hidden) * 2 * hidden + i % hidden;
            float g = gateUp.get(at);
            out.set(i, g / (1f + TornadoMath.exp(-g)) * gateUp.get(at + hidden));
        }
    }
}
