package dev.gale.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise Vector API kernels over rows of activations. */
final class Kernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Kernels() {
    }

    /** RMSNorm of n rows of {@code dim}: out = x / sqrt(mean(x^2) + eps) * w. out may be x. */
    static void rmsnorm(float[] out, float[] x, float[] w, int dim, int n, float eps) {
        for (int t = 0; t < n; t++) {
            int o = t * dim;
            FloatVector acc = FloatVector.zero(F);
            int i = 0;
            int bound = F.loopBound(dim);
            for (; i < bound; i += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, o + i);
                acc = xv.fma(xv, acc);
            }
            double ss = acc.reduceLanes(VectorOperators.ADD);
            for (; i < dim; i++) {
                ss += x[o + i] * x[o + i];
            }
            float scale = (float) (1.0 / Math.sqrt(ss / dim + eps));
            i = 0;
            for (; i < bound; i += F.length()) {
                FloatVector.fromArray(F, x, o + i).mul(scale).mul(FloatVector.fromArray(F, w, i)).intoArray(out, o + i);
            }
            for (; i < dim; i++) {
                out[o + i] = x[o + i] * scale * w[i];
            }
        }
    }

    /** x += y over n elements. */
    static void add(float[] x, float[] y, int n) {
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, i).add(FloatVector.fromArray(F, y, i)).intoArray(x, i);
        }
        for (; i < n; i++) {
            x[i] += y[i];
        }
    }

    /** gate = silu(gate) * up over n elements. */
    static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector e = g.neg().lanewise(VectorOperators.EXP);
            g.div(e.add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
