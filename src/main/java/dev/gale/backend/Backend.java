package dev.gale.backend;

import dev.gale.model.ModelConfig;

/**
 * Runs a model's forward pass and owns its KV cache. The engine drives it chunk by chunk: one
 * call processes tokens at consecutive positions, attending to what the cache holds and causally
 * to the chunk itself, then stores the chunk's keys and values in the cache.
 *
 * <p>Every backend implements the same semantics (see {@link CacheLayout}): with a sliding window
 * W the query at position i attends to keys i-W+1 .. i, and the cache is a rolling buffer of W
 * slots, position p in slot p mod W.
 */
public interface Backend extends AutoCloseable {

    /** Short name, e.g. "cpu" or "opencl". */
    String name();

    /** The config the backend runs, with any sliding-window override applied. */
    ModelConfig config();

    CacheLayout cacheLayout();

    /** The largest number of tokens one {@link #forward} call accepts. */
    int maxChunk();

    /**
     * Processes {@code tokens} at positions {@code pos, pos+1, ...}. Positions must continue where the
     * previous call ended (or start at 0 after {@link #reset()}).
     *
     * @param logits null for none; {@code vocab} floats for the last token's logits; or
     *               {@code tokens.length * vocab} floats for every token's logits, row by row
     */
    void forward(int[] tokens, int pos, float[] logits);

    /** Forgets the cached sequence; the next forward starts at position 0. */
    void reset();

    /** Bytes allocated for the KV cache. */
    long cacheBytes();

    @Override
    void close();
}
