package dev.gale.engine;

/** A sequence would run past the context size. */
public final class ContextFullException extends IllegalArgumentException {
    private final long needed;
    private final int contextSize;

    public ContextFullException(String message) {
        this(message, -1, -1);
    }

    /**
     * @param needed      positions the sequence would need
     * @param contextSize positions there are
     */
    public ContextFullException(String message, long needed, int contextSize) {
        super(message);
        this.needed = needed;
        this.contextSize = contextSize;
    }

    /** Positions the sequence would need (-1 when unknown). */
    public long needed() {
        return needed;
    }

    /** The context size (-1 when unknown). */
    public int contextSize() {
        return contextSize;
    }
}
