package dev.gale.server;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Reading request bodies within a limit, and sending JSON. */
final class Http {
    /** A body over the limit is still read (and dropped) up to this many times the limit, so the client gets the 413. */
    private static final long DRAIN_FACTOR = 8;

    private Http() {
    }

    /** The request body, or a 413 if it is longer than {@code limit} bytes. */
    static byte[] readBody(HttpExchange exchange, int limit) throws ApiException, IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        InputStream in = exchange.getRequestBody();
        long declared = -1;
        if (length != null) {
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(null, "Content-Length is not a number: " + length);
            }
        }
        if (declared > limit) {
            drain(in, declared <= DRAIN_FACTOR * limit ? declared : 0);
            throw tooLarge(declared + " bytes", limit);
        }
        byte[] body = in.readNBytes(limit + 1);
        if (body.length > limit) {
            drain(in, DRAIN_FACTOR * limit);
            throw tooLarge("more than " + limit + " bytes", limit);
        }
        return body;
    }

    private static ApiException tooLarge(String size, int limit) {
        return ApiException.tooLarge("the request body has " + size + "; the limit is " + limit
                + " bytes (gale serve --max-body)");
    }

    private static void drain(InputStream in, long max) throws IOException {
        long left = max;
        byte[] buf = new byte[8192];
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                return;
            }
            left -= n;
        }
    }

    static void sendJson(HttpExchange exchange, int status, byte[] json) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, json.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(json);
        }
    }
}
