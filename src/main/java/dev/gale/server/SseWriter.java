package dev.gale.server;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-Sent Events over a chunked HTTP response: each event is one {@code data: ...} line and a
 * blank line, flushed at once. A write to a client that has gone away throws IOException.
 */
final class SseWriter {
    private final OutputStream out;

    /** Sends the 200 and the event-stream headers. */
    SseWriter(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        this.out = exchange.getResponseBody();
    }

    void data(String json) throws IOException {
        write("data: " + json + "\n\n");
    }

    /** A comment line, which clients ignore: keeps the connection alive and finds out whether the client is still there. */
    void comment(String text) throws IOException {
        write(": " + text + "\n\n");
    }

    void done() throws IOException {
        write("data: [DONE]\n\n");
    }

    private void write(String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
