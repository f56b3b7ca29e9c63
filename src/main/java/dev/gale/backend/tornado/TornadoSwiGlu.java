package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** SwiGLU over the chunk's feed-forward rows: gate = silu(gate) * up, silu(g) = g / (1 + e^-g). */
public final class TornadoSwiGlu {
    private TornadoSwiGlu() {
    }

    public static void swiglu(KernelContext ctx, FloatArray gate, FloatArray up, IntArray step, int hidden) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * hidden) {
            float g = gate.get(i);
            gate.set(i, g / (1f + TornadoMath.exp(-g)) * up.get(i));
        }
    }
}
