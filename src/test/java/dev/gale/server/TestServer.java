package dev.gale.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gale.TestModels;
import dev.gale.backend.Backend;
import dev.gale.backend.CacheLayout;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.engine.ChatTemplate;
import dev.gale.engine.SamplerConfig;
import dev.gale.engine.Session;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.ModelConfig;
import dev.gale.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** A GaleServer on an ephemeral port over the tiny synthetic model, and an HTTP client for it. */
final class TestServer implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper();

    final Model model;
    final Tokenizer tokenizer;
    final ChatTemplate template;
    final List<Backend> backends = new ArrayList<>();
    final GaleServer server;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    /** A backend that can be held inside forward() until released, and slowed down. */
    static final class Gated implements Backend {
        final Backend inner;
        volatile CountDownLatch gate = new CountDownLatch(0);
        final Semaphore entered = new Semaphore(0);
        volatile long delayMillis;

        Gated(Backend inner) {
            this.inner = inner;
        }

        public String name() { return inner.name(); }
        public ModelConfig config() { return inner.config(); }
        public CacheLayout cacheLayout() { return inner.cacheLayout(); }
        public int maxChunk() { return inner.maxChunk(); }
        public void reset() { inner.reset(); }
        public long cacheBytes() { return inner.cacheBytes(); }
        public void close() { inner.close(); }

        public void forward(int[] tokens, int pos, float[] logits) {
            entered.release();
            try {
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("gate never opened");
                }
                if (delayMillis > 0) {
                    Thread.sleep(delayMillis);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            inner.forward(tokens, pos, logits);
        }
    }

    TestServer(int workers, int queue, int contextSize, int maxBody) throws IOException {
        model = TestModels.load(TestModels.tiny(GGMLType.Q8_0));
        tokenizer = new Tokenizer(model.vocabulary());
        template = new ChatTemplate(tokenizer);
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            Gated b = new Gated(new CpuBackend(model.config(), model.weights(), contextSize, 16, 1));
            backends.add(b);
            sessions.add(new Session(b, tokenizer, 16));
        }
        PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
        server = new GaleServer(new GaleServer.Options("127.0.0.1", 0, queue, maxBody, "tiny",
                SamplerConfig.GREEDY, null, Integer.MAX_VALUE, 200, log), template, sessions);
        server.start();
    }

    TestServer() throws IOException {
        this(1, 4, 512, 64 * 1024);
    }

    Gated gated(int i) {
        return (Gated) backends.get(i);
    }

    String log() {
        synchronized (logBytes) {
            return logBytes.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * The log once it holds {@code fragment} (or after 10 s, for the assertion to show it): the
     * server writes a request's line after closing its exchange, so a client may have the response,
     * and even the next one, before the line is there.
     */
    String awaitLog(String fragment) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String log = log();
        while (!log.contains(fragment) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            log = log();
        }
        return log;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return MAPPER.readTree(r.body());
    }

    /** The JSON objects of a Server-Sent Events body, checking that it ends with [DONE]. */
    static List<JsonNode> events(String body) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        boolean done = false;
        for (String line : body.split("\n")) {
            if (line.isEmpty() || line.startsWith(":")) {
                continue;
            }
            if (done || !line.startsWith("data: ")) {
                throw new AssertionError("unexpected line in the event stream: " + line);
            }
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                done = true;
            } else {
                out.add(MAPPER.readTree(data));
            }
        }
        if (!done) {
            throw new AssertionError("the event stream did not end with [DONE]: " + body);
        }
        return out;
    }

    /** Polls /health until {@code field} reaches {@code value}. */
    void awaitHealth(String field, int value) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (json(get("/health")).get(field).asInt() == value) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("/health never showed " + field + "=" + value + ": " + get("/health").body());
    }

    @Override
    public void close() {
        server.close(10_000);
        for (Backend b : backends) {
            b.close();
        }
        client.close();
        model.close();
    }
}
