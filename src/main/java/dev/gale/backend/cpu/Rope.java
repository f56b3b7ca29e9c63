package dev.gale.backend.cpu;

/**
 * Rotary embedding with GGUF's adjacent-pair layout: in each head the pair (2i, 2i+1) turns by
 * pos * base^(-2i / ropeDims). Angles are computed once per chunk and reused by every layer.
 */
final class Rope {
    private final int headDim;
    private final int ropeDims;
    private final double[] invFreq;
    private final float[] cos;
    private final float[] sin;
    private int n;

    Rope(int headDim, int ropeDims, float base, int maxChunk) {
        this.headDim = headDim;
        this.ropeDims = ropeDims;
        this.invFreq = new double[ropeDims / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = Math.pow(base, -(double) (2 * i) / ropeDims);
        }
        this.cos = new float[maxChunk * invFreq.length];
        this.sin = new float[maxChunk * invFreq.length];
    }

    /** Computes the angles for positions pos .. pos + n - 1. */
    void prepare(int pos, int n) {
        this.n = n;
        int half = invFreq.length;
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < half; i++) {
                double theta = (double) (pos + t) * invFreq[i];
                cos[t * half + i] = (float) Math.cos(theta);
                sin[t * half + i] = (float) Math.sin(theta);
            }
        }
    }

    /** Rotates n rows of {@code heads * headDim} in place. */
    void apply(float[] v, int rows, int heads) {
        int half = invFreq.length;
        int width = heads * headDim;
        for (int t = 0; t < rows; t++) {
            for (int h = 0; h < heads; h++) {
                int base = t * width + h * headDim;
                for (int i = 0; i < half; i++) {
                    float c = cos[t * half + i];
                    float s = sin[t * half + i];
                    float x0 = v[base + 2 * i];
                    float x1 = v[base + 2 * i + 1];
                    v[base + 2 * i] = x0 * c - x1 * s;
                    v[base + 2 * i + 1] = x0 * s + x1 * c;
                }
            }
        }
    }

    int preparedTokens() {
        return n;
    }
}
