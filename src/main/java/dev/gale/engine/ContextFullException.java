package dev.gale.engine;

/** A sequence would run past the context size. */
public final class ContextFullException extends IllegalArgumentException {
    public ContextFullException(String message) {
        super(message);
    }
}
