package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The cosines and sines of every rotary angle a sequence can reach: entry [p][i] is for position p
 * and pair i, angle p * base^(-2i / ropeDims), computed in double as the CPU backend does. Sent to
 * the device once; the RoPE kernel only looks angles up, so the model's base never becomes a
 * kernel constant.
 */
final class RopeTable {
    final FloatArray cos;
    final FloatArray sin;
    final int pairs;

    RopeTable(int contextSize, int ropeDims, float base) {
        this.pairs = ropeDims / 2;
        long entries = (long) contextSize * pairs;
        if (entries > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("a RoPE table of " + contextSize + " positions is too large; "
                    + "use a smaller --ctx-size");
        }
        this.cos = new FloatArray((int) entries);
        this.sin = new FloatArray((int) entries);
        double[] inv = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            inv[i] = Math.pow(base, -(double) (2 * i) / ropeDims);
        }
        for (int p = 0; p < contextSize; p++) {
            for (int i = 0; i < pairs; i++) {
                double theta = (double) p * inv[i];
                cos.set(p * pairs + i, (float) Math.cos(theta));
                sin.set(p * pairs + i, (float) Math.sin(theta));
            }
        }
    }

    long deviceBytes() {
        return 2 * cos.getNumBytesOfSegment();
    }
}
