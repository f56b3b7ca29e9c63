package dev.gale.backend.cpu;

/**
 * An activation vector quantized to 8 bits in blocks of 32, as llama.cpp quantizes activations
 * before its integer dot products: per block a float scale {@code d = max|x| / 127} and values
 * {@code q = round(x / d)} in [-127, 127], kept as shorts so that kernels can multiply them with
 * 16-bit lanes without widening. Value {@code j} stands for {@code d[j / 32] * q[j]}.
 *
 * <p>Quantized once per matrix product (and shared by products of the same input), so its cost
 * is one pass over a vector of a few thousand floats.
 */
public final class Q8Activations {
    public static final int BLOCK = 32;

    final short[] q;
    final float[] d;
    /** Per block {@code d * sum(q)}, for kernels that fold a constant weight offset out of the loop. */
    final float[] dsum;
    private int cols;

    public Q8Activations(int maxCols) {
        int blocks = (maxCols + BLOCK - 1) / BLOCK;
        this.q = new short[blocks * BLOCK];
        this.d = new float[blocks];
        this.dsum = new float[blocks];
    }

    /** Quantizes {@code x[off .. off + cols)}; cols must be a multiple of 32. */
    public void quantize(float[] x, int off, int cols) {
        if (cols % BLOCK != 0 || cols > q.length) {
            throw new IllegalArgumentException("cannot quantize " + cols + " activations in blocks of " + BLOCK
                    + " into room for " + q.length);
        }
        this.cols = cols;
        for (int b = 0; b < cols / BLOCK; b++) {
            int x0 = off + b * BLOCK;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[x0 + j]));
            }
            float scale = amax / 127f;
            float inv = scale != 0 ? 1f / scale : 0f;
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                int v = Math.round(x[x0 + j] * inv);
                q[b * BLOCK + j] = (short) v;
                sum += v;
            }
            d[b] = scale;
            dsum[b] = scale * sum;
        }
    }

    public int cols() {
        return cols;
    }

    /** The value quantized element {@code j} stands for. */
    public float value(int j) {
        return d[j / BLOCK] * q[j];
    }
}
