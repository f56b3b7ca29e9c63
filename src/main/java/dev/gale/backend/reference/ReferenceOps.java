package dev.gale.backend.reference;

import dev.gale.model.Tensor;
import dev.gale.quant.BlockFormat;
import dev.gale.quant.Formats;

/**
 * The math of every kernel, written once, plainly, with no attention to speed. Each backend's
 * kernels are tested against these.
 */
public final class ReferenceOps {
    private ReferenceOps() {
    }

    /** out = x / sqrt(mean(x^2) + eps) * weight. */
    public static void rmsnorm(float[] out, float[] x, float[] weight, float eps) {
        double ss = 0;
        for (float v : x) {
            ss += (double) v * v;
        }
        float scale = (float) (1.0 / Math.sqrt(ss / x.length + eps));
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
    }

    /**
     * Rotary position embedding as GGUF's Llama/Mistral layout needs it: within each head, the
     * adjacent pair (2i, 2i+1) is rotated by the angle pos * base^(-2i / ropeDims), for
     * 2i &lt; ropeDims; the rest of the head is left alone.
     */
    public static void rope(float[] v, int heads, int headDim, int ropeDims, int pos, float base) {
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < ropeDims; i += 2) {
                double theta = pos * Math.pow(base, -(double) i / ropeDims);
                float cos = (float) Math.cos(theta);
                float sin = (float) Math.sin(theta);
                int a = h * headDim + i;
                float x0 = v[a];
                float x1 = v[a + 1];
                v[a] = x0 * cos - x1 * sin;
                v[a + 1] = x0 * sin + x1 * cos;
            }
        }
    }

    /** In-place softmax of x[0 .. n). */
    public static void softmax(float[] x, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < n; i++) {
            x[i] = (float) (x[i] / sum);
        }
    }

    public static float silu(float x) {
        return (float) (x / (1.0 + Math.exp(-x)));
    }

    /** SwiGLU: gate = silu(gate) * up. */
    public static void swiglu(float[] gate, float[] up) {
        for (int i = 0; i < gate.length; i++) {
            gate[i] = silu(gate[i]) * up[i];
        }
    }

    /** Decodes row {@code row} of a weight tensor. */
    public static float[] row(Tensor w, int row) {
        BlockFormat f = Formats.of(w.type(), w.name());
        float[] out = new float[w.cols()];
        f.dequantize(w.data(), row * w.rowBytes(), out, 0, w.cols());
        return out;
    }

    /** Decodes a whole (vector) tensor. */
    public static float[] vector(Tensor w) {
        BlockFormat f = Formats.of(w.type(), w.name());
        float[] out = new float[Math.toIntExact(w.elements())];
        f.dequantize(w.data(), 0, out, 0, out.length);
        return out;
    }

    /** out[r] = sum_c W[r][c] * x[c], the weights decoded row by row with the type's scalar format. */
    public static void matvec(Tensor w, float[] x, float[] out) {
        for (int r = 0; r < w.rows(); r++) {
            float[] row = row(w, r);
            double sum = 0;
            for (int c = 0; c < w.cols(); c++) {
                sum += (double) row[c] * x[c];
            }
            out[r] = (float) sum;
        }
    }

    /**
     * Grouped-query attention for one query position over a full (non-rolling) cache, with the
     * band mask of sliding-window attention: key j is visible when first &lt;= j &lt;= pos.
     * Query head h reads KV head h / (heads / kvHeads).
     *
     * @param keys   keys[j] is the key vector (kvHeads * headDim) of position j
     * @param values values[j] likewise
     */
    public static void attention(float[] out, float[] q, float[][] keys, float[][] values, int first, int pos,
                                 int heads, int kvHeads, int headDim) {
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] scores = new float[pos - first + 1];
        for (int h = 0; h < heads; h++) {
            int kvh = h / group;
            for (int j = first; j <= pos; j++) {
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += (double) q[h * headDim + d] * keys[j][kvh * headDim + d];
                }
                scores[j - first] = (float) dot * scale;
            }
            softmax(scores, scores.length);
            for (int d = 0; d < headDim; d++) {
                double acc = 0;
                for (int j = first; j <= pos; j++) {
                    acc += (double) scores[j - first] * values[j][kvh * headDim + d];
                }
                out[h * headDim + d] = (float) acc;
            }
        }
    }
}
