package dev.gale.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gale.engine.ChatTemplate;
import dev.gale.engine.SamplerConfig;
import dev.gale.engine.Session;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP server with OpenAI-compatible endpoints over one model:
 * <ul>
 *   <li>{@code POST /v1/completions} — continue a prompt;</li>
 *   <li>{@code POST /v1/chat/completions} — answer a conversation (Mistral Instruct format);</li>
 *   <li>{@code GET /v1/models} — the model's id;</li>
 *   <li>{@code GET /health} — status, busy and waiting requests.</li>
 * </ul>
 * Generation runs in a {@link GenerationQueue}; HTTP handlers run on virtual threads, parse and
 * tokenize requests, and stream results. Every request gets one log line.
 */
public final class GaleServer implements AutoCloseable {
    static final List<String> ENDPOINTS = List.of("POST /v1/completions", "POST /v1/chat/completions",
            "GET /v1/models", "GET /health");

    /**
     * @param queue           requests that may wait while every worker is busy
     * @param maxBodyBytes    largest request body accepted
     * @param modelId         the id /v1/models reports and responses carry
     * @param defaults        sampling for parameters a request leaves out (its seed is unused)
     * @param fixedSeed       seed for requests without one (null: random)
     * @param maxTokens       most tokens a request generates (Integer.MAX_VALUE: until EOS or the context is full)
     * @param keepAliveMillis how often a waiting stream gets a keep-alive comment
     * @param log             where request lines go
     */
    public record Options(String host, int port, int queue, int maxBodyBytes, String modelId, SamplerConfig defaults,
                          Long fixedSeed, int maxTokens, long keepAliveMillis, PrintStream log) {
    }

    private final Options options;
    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpServer http;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final GenerationQueue queue;
    private final CompletionEndpoint completions;
    private final OpenAiJson json;
    private final int contextSize;
    private final long created = System.currentTimeMillis() / 1000;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean stopping;

    /**
     * @param sessions one per worker, each over its own backend of the same model and context size
     */
    public GaleServer(Options options, ChatTemplate template, List<Session> sessions) throws IOException {
        this.options = options;
        this.contextSize = sessions.getFirst().contextSize();
        this.json = new OpenAiJson(mapper, options.modelId());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 64);
        this.queue = new GenerationQueue(sessions, options.queue(), options.log());
        RequestParser parser = new RequestParser(mapper, template, contextSize, options.defaults(), options.fixedSeed(),
                options.maxTokens());
        this.completions = new CompletionEndpoint(parser, queue, json, mapper, options.keepAliveMillis());
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
    }

    public void start() {
        http.start();
    }

    /** The port listened on (the one chosen when the options asked for port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) {
        long t0 = System.nanoTime();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        String note;
        try {
            note = route(exchange, method, path);
        } catch (ApiException e) {
            note = e.getMessage();
            sendError(exchange, e);
        } catch (IOException e) {
            note = "client went away: " + e.getMessage();
        } catch (InterruptedException e) {
            note = "interrupted (shutting down)";
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            note = "internal error: " + e;
            sendError(exchange, ApiException.internal("internal error: " + e.getMessage()));
        } finally {
            exchange.close();
        }
        int status = exchange.getResponseCode();
        options.log().printf("gale: %s %s %s %s %.3fs %s%n", exchange.getRemoteAddress().getAddress().getHostAddress(),
                method, path, status < 0 ? "-" : String.valueOf(status), (System.nanoTime() - t0) / 1e9, note);
    }

    private String route(HttpExchange exchange, String method, String path)
            throws ApiException, IOException, InterruptedException {
        switch (path) {
            case "/health" -> {
                allow(exchange, method, "GET");
                ObjectNode o = mapper.createObjectNode();
                o.put("status", stopping ? "shutting down" : "ok");
                o.put("model", options.modelId());
                o.put("context_size", contextSize);
                o.put("workers", queue.workers());
                o.put("running", queue.running());
                o.put("waiting", queue.waiting());
                o.put("queue", options.queue());
                Http.sendJson(exchange, stopping ? 503 : 200, mapper.writeValueAsBytes(o));
                return "";
            }
            case "/v1/models" -> {
                allow(exchange, method, "GET");
                Http.sendJson(exchange, 200, mapper.writeValueAsBytes(json.models(created)));
                return "";
            }
            case "/v1/completions", "/v1/chat/completions" -> {
                allow(exchange, method, "POST");
                byte[] body = Http.readBody(exchange, options.maxBodyBytes());
                return completions.handle(exchange, path.equals("/v1/completions")
                        ? CompletionRequest.Kind.COMPLETION : CompletionRequest.Kind.CHAT, body);
            }
            default -> throw ApiException.notFound("there is no " + path + "; the endpoints are "
                    + String.join(", ", ENDPOINTS));
        }
    }

    private static void allow(HttpExchange exchange, String method, String allowed) throws ApiException {
        if (!method.equals(allowed)) {
            exchange.getResponseHeaders().set("Allow", allowed);
            throw ApiException.methodNotAllowed(exchange.getRequestURI().getPath() + " takes " + allowed + ", not "
                    + method);
        }
    }

    private void sendError(HttpExchange exchange, ApiException e) {
        if (exchange.getResponseCode() >= 0) {
            return; // the response has begun: the stream has ended with the error, or the client is gone
        }
        try {
            if (e.retryAfter > 0) {
                exchange.getResponseHeaders().set("Retry-After", String.valueOf(e.retryAfter));
            }
            Http.sendJson(exchange, e.status, mapper.writeValueAsBytes(json.error(e)));
        } catch (IOException ignored) {
            // the client has gone away
        }
    }

    /**
     * Stops: refuses waiting requests, cancels running ones (their clients are told), gives handlers
     * up to {@code millis} to finish, and waits for the workers. Returns whether the workers ended,
     * so that the backends can be closed.
     */
    public boolean close(long millis) {
        synchronized (this) {
            if (stopping) {
                return queue.close(millis);
            }
            stopping = true;
        }
        boolean workersEnded = queue.close(millis);
        http.stop((int) Math.max(1, Math.min(millis / 1000, 5)));
        handlers.shutdownNow();
        closed.countDown();
        return workersEnded;
    }

    @Override
    public void close() {
        close(10_000);
    }

    /** Blocks until {@link #close} has run. */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }
}
