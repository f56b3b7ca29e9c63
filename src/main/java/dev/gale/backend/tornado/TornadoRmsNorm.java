package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * RMSNorm, out[t] = x[ROW + t] / sqrt(mean(x[ROW + t]^2) + eps) * weight, for the n rows of a
 * chunk: one work-group per row. {@code weight} may hold several layers' vectors back to back
 * ({@code layerSize} floats apart, 0 for a single vector), as in {@link TornadoMatVec}.
 */
public final class TornadoRmsNorm {
    private TornadoRmsNorm() {
    }

    public static void rmsnorm(KernelContext ctx, FloatArray x, FloatArray weight, FloatArray out, IntArray step,
                               int dim, float eps, int layerSize, int firstLayer) {
        float[] scratch = ctx.allocateFloatLocalArray(TornadoReduce.MAX_LOCAL);
        int t = ctx.groupIdx;
        if (t < step.get(Step.N)) {
            int in = (step.get(Step.ROW) + t) * dim;
            float squares = 0f;
            for (int i = ctx.localIdx; i < dim; i += ctx.localGroupSizeX) {
                float v = x.get(in + i);
                squares += v * v;
            }
            float total = TornadoReduce.sum(ctx, scratch, squares);
            float scale = 1f / TornadoMath.sqrt(total / dim + eps);
            int w = (step.get(Step.LAYER) - firstLayer) * layerSize;
            for (int i = ctx.localIdx; i < dim; i += ctx.localGroupSizeX) {
                out.set(t * dim + i, x.get(in + i) * scale * weight.get(w + i));
            }
        }
    }
}
