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
        float[] partial = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int t = ctx.groupIdx;
        if (t < step.get(Step.N)) {
            int in = (step.get(Step.ROW) + t) * dim;
            float squares = 0f;
            for (int i = lid; i < dim; i += size) {
                float v = x.get(in + i);
                squares += v * v;
            }
            partial[lid] = squares;
            ctx.localBarrier();
            for (int s = size / 2; s > 0; s /= 2) {
                if (lid < s) {
                    partial[lid] += partial[lid + s];
                }
                ctx.localBarrier();
            }
            float scale = 1f / TornadoMath.sqrt(partial[0] / dim + eps);
            int w = (step.get(Step.LAYER) - firstLayer) * layerSize;
            for (int i = lid; i < dim; i += size) {
                out.set(t * dim + i, x.get(in + i) * scale * weight.get(w + i));
            }
        }
    }
}
