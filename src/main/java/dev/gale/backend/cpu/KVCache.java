package dev.gale.backend.cpu;

import dev.gale.backend.CacheLayout;

/**
 * Keys and values of every layer in a rolling buffer: position p in slot p mod slots. Its memory
 * is layers x slots x kvDim x 2 floats, whatever the sequence length.
 */
final class KVCache {
    final float[][] keys;    // [layer][slot * kvDim + i]
    final float[][] values;
    private final CacheLayout layout;
    private final int kvDim;

    KVCache(int layers, CacheLayout layout, int kvDim) {
        this.layout = layout;
        this.kvDim = kvDim;
        long perLayer = (long) layout.slots() * kvDim;
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + layout.slots() + " slots x " + kvDim
                    + " is too large for one layer; use a smaller --ctx-size");
        }
        keys = new float[layers][(int) perLayer];
        values = new float[layers][(int) perLayer];
    }

    /** Stores the keys and values of a chunk of n tokens at positions pos .. pos + n - 1. */
    void store(int layer, float[] k, float[] v, int pos, int n) {
        // Only the last `slots` tokens of a chunk survive in the buffer.
        for (int t = Math.max(0, n - layout.slots()); t < n; t++) {
            int slot = layout.slot(pos + t);
            System.arraycopy(k, t * kvDim, keys[layer], slot * kvDim, kvDim);
            System.arraycopy(v, t * kvDim, values[layer], slot * kvDim, kvDim);
        }
    }

    /** Bytes actually allocated for keys and values. */
    long bytes() {
        long n = 0;
        for (int l = 0; l < keys.length; l++) {
            n += (long) (keys[l].length + values[l].length) * Float.BYTES;
        }
        return n;
    }
}
