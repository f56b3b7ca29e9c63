package dev.gale.backend;

/** A backend that cannot run here: no TornadoVM SDK, no such device, ... The message says what to do. */
public final class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String message) {
        super(message);
    }
}
