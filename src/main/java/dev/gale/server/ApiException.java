package dev.gale.server;

/**
 * A request the server refuses, with the HTTP status and OpenAI error type to answer with. The
 * message names the problem (and the parameter, when one is at fault).
 */
final class ApiException extends Exception {
    final int status;
    final String type;
    final String param;
    /** Seconds for a Retry-After header, or 0 for none. */
    final int retryAfter;

    ApiException(int status, String type, String param, String message, int retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.retryAfter = retryAfter;
    }

    static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, message, 0);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "not_found_error", null, message, 0);
    }

    static ApiException methodNotAllowed(String message) {
        return new ApiException(405, "invalid_request_error", null, message, 0);
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "invalid_request_error", null, message, 0);
    }

    static ApiException unavailable(String message, int retryAfter) {
        return new ApiException(503, "server_busy_error", null, message, retryAfter);
    }

    static ApiException internal(String message) {
        return new ApiException(500, "server_error", null, message, 0);
    }
}
