package dev.gale.backend.cpu;

import dev.gale.backend.CacheLayout;

import java.util.Arrays;

/**
 * Keys and values of every layer in a rolling buffer: position p in slot p mod slots. With a
 * window the buffer has W slots, so its memory is layers x W x kvDim x 2 floats however long the
 * sequence runs. Memory is taken as positions are reached (doubling, up to the layout's slots), so
 * a short sequence in a long context does not pay for the whole context.
 */
final class KVCache {
    private static final int MIN_SLOTS = 64;

    final float[][] keys;    // [layer][slot * kvDim + i]
    final float[][] values;
    private final CacheLayout layout;
    private final int kvDim;
    private int capacity;    // slots allocated so far

    KVCache(int layers, CacheLayout layout, int kvDim) {
        if ((long) layout.slots() * kvDim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a KV cache of " + layout.slots() + " positions x " + kvDim
                    + " floats is too large for one layer; use a smaller --ctx-size");
        }
        this.layout = layout;
        this.kvDim = kvDim;
        this.keys = new float[layers][0];
        this.values = new float[layers][0];
    }

    /** Makes room for positions below {@code end}. */
    void ensure(int end) {
        int needed = Math.min(layout.slots(), end);
        if (needed <= capacity) {
            return;
        }
        int grown = Math.min(layout.slots(), Math.max(needed, Math.max(MIN_SLOTS, 2 * capacity)));
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], grown * kvDim);
            values[l] = Arrays.copyOf(values[l], grown * kvDim);
        }
        capacity = grown;
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
