package dev.gale.backend;

/**
 * Where keys and values live, and which of them a query sees. This is the sliding-window
 * attention of the Mistral paper (section 2):
 * <ul>
 *   <li>the query at position {@code i} attends to keys {@link #firstVisible}(i) .. i: the W most
 *       recent positions, itself included, or all positions when there is no window;</li>
 *   <li>position {@code p} is stored in slot {@code p mod slots} of each layer's cache (a rolling
 *       buffer), so a windowed cache holds W entries however long the sequence runs.</li>
 * </ul>
 *
 * @param window      W, or 0 for full attention
 * @param contextSize positions a sequence may reach (RoPE keeps counting past W)
 * @param slots       cache entries per layer: min(W, contextSize), or contextSize without a window
 */
public record CacheLayout(int window, int contextSize, int slots) {

    public static CacheLayout of(int window, int contextSize) {
        if (window < 0 || contextSize < 1) {
            throw new IllegalArgumentException("window " + window + ", context size " + contextSize);
        }
        return new CacheLayout(window, contextSize, window > 0 ? Math.min(window, contextSize) : contextSize);
    }

    public boolean windowed() {
        return window > 0;
    }

    /** Cache slot of position {@code pos}. */
    public int slot(int pos) {
        return pos % slots;
    }

    /** First key position the query at {@code pos} attends to. */
    public int firstVisible(int pos) {
        return window > 0 ? Math.max(0, pos - window + 1) : 0;
    }

    /** Bytes of a cache of this layout: layers x slots x kvDim x 2 (K and V) x element size. */
    public long bytes(int layers, int kvDim, int elementBytes) {
        return (long) layers * slots * kvDim * 2 * elementBytes;
    }
}
