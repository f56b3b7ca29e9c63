package dev.gale.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.gale.server.TestServer.events;
import static dev.gale.server.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad requests get the right status and a JSON error naming the problem; a full queue is a 503;
 * a client that leaves mid-stream stops its generation and does not hold up the next request;
 * shutting down answers everyone.
 */
class ServerRobustnessTest {

    static Stream<Arguments> badRequests() {
        String ok = "\"max_tokens\": 1";
        String longPrompt = "a ".repeat(100); // 100 tokens, more than the context of 64
        return Stream.of(
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\",", 400, "not valid JSON"),
                Arguments.of("POST", "/v1/completions", "", 400, "body is empty"),
                Arguments.of("POST", "/v1/completions", "[1, 2]", 400, "must be a JSON object"),
                Arguments.of("POST", "/v1/completions", "{\"max_tokens\": 1}", 400, "'prompt' is required"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": 7}", 400, "'prompt' must be a string"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": [\"a\", \"b\"]}", 400, "several prompts"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": [1, 99999]}", 400, "'prompt'[1] must be a token id"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": -1}", 400,
                        "'max_tokens' must be an integer >= 0, found -1"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": \"ten\"}", 400,
                        "'max_tokens' must be an integer"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 1.5}", 400,
                        "'max_tokens' must be an integer"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"temperature\": -1}", 400,
                        "'temperature' must be a number >= 0"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"top_p\": 0}", 400,
                        "'top_p' must be a number in (0, 1]"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"top_k\": -3}", 400, "'top_k'"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"min_p\": 2}", 400, "'min_p'"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"repeat_penalty\": 0}", 400,
                        "'repeat_penalty'"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"seed\": \"s\"}", 400, "'seed'"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"stream\": \"yes\"}", 400,
                        "'stream' must be true or false"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"stop\": [1]}", 400, "'stop' must hold strings"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"stop\": \"\"}", 400, "must not be empty"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"n\": 2}", 400, "'n' must be 1"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"x\", \"frequency_penalty\": 0.5}", 400,
                        "use 'repeat_penalty'"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"" + longPrompt + "\"}", 400,
                        "the prompt is too long: it has"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"" + "a".repeat(4000) + "\"}", 400,
                        "the prompt is too long: its 4000 characters"),
                Arguments.of("POST", "/v1/chat/completions", "{\"max_tokens\": 1}", 400, "'messages' is required"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": []}", 400, "non-empty array"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": \"hi\"}", 400, "non-empty array"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [\"hi\"]}", 400, "'messages[0]' must be an object"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"content\": \"hi\"}]}", 400,
                        "'messages[0].role' must be a string"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"tool\", \"content\": \"hi\"}]}",
                        400, "role 'tool' is not supported"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\"}]}", 400,
                        "'messages[0].content' is required"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": "
                        + "[{\"type\": \"image_url\"}]}]}", 400, "only text is supported"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"b\"}]}", 400, "must end with a user message"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"system\", \"content\": \"a\"}]}",
                        400, "must start with a user message"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \""
                        + longPrompt + "\"}]}", 400, "the prompt is too long"),
                Arguments.of("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                        + "\"tools\": [{}]}", 400, "tool calling is not supported"),
                Arguments.of("POST", "/v1/completions", "{\"prompt\": \"" + "b".repeat(5000) + "\"}", 413,
                        "the limit is 4096 bytes"),
                Arguments.of("GET", "/v1/completions", null, 405, "takes POST, not GET"),
                Arguments.of("DELETE", "/v1/chat/completions", null, 405, "takes POST, not DELETE"),
                Arguments.of("POST", "/health", "{}", 405, "takes GET, not POST"),
                Arguments.of("GET", "/v1/engines", null, 404, "there is no /v1/engines"),
                Arguments.of("GET", "/", null, 404, "the endpoints are"));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @MethodSource("badRequests")
    void aBadRequestGetsItsStatusAndAJsonError(String method, String path, String body, int status, String message)
            throws Exception {
        try (TestServer t = new TestServer(1, 2, 64, 4096)) {
            HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body);
            HttpResponse<String> r = t.client.send(HttpRequest.newBuilder(t.uri(path)).method(method, p)
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(status, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            JsonNode e = json(r).get("error");
            assertTrue(e.get("message").asText().contains(message), e.toString());
            assertEquals(status, e.get("code").asInt());
            if (status == 405) {
                assertTrue(r.headers().firstValue("Allow").isPresent());
            }
            // and the server goes on serving
            HttpResponse<String> ok = t.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2, \"unknown\": 1}");
            assertEquals(200, ok.statusCode(), ok.body());
            String log = t.awaitLog(" " + status + " ");
            assertTrue(log.contains(" " + status + " "), log);
        }
    }

    /** One worker, a queue of one: the third request at once is refused with 503 and Retry-After. */
    @Test
    void aFullQueueIsA503() throws Exception {
        try (TestServer t = new TestServer(1, 1, 512, 4096)) {
            TestServer.Gated g = t.gated(0);
            g.gate = new CountDownLatch(1);
            String body = "{\"prompt\": \"x\", \"max_tokens\": 3, \"temperature\": 0}";
            CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() -> send(t, body));
            assertTrue(g.entered.tryAcquire(30, TimeUnit.SECONDS), "the worker never started");
            t.awaitHealth("running", 1);
            CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(() -> send(t, body));
            t.awaitHealth("waiting", 1);
            HttpResponse<String> c = t.post("/v1/completions", body);
            assertEquals(503, c.statusCode(), c.body());
            assertEquals("2", c.headers().firstValue("Retry-After").orElse(""));
            assertTrue(json(c).at("/error/message").asText().contains("busy"), c.body());
            g.gate.countDown();
            assertEquals(200, a.get(30, TimeUnit.SECONDS).statusCode());
            assertEquals(200, b.get(30, TimeUnit.SECONDS).statusCode());
            assertEquals(json(a.get()).at("/choices/0/text"), json(b.get()).at("/choices/0/text"));
        }
    }

    private static HttpResponse<String> send(TestServer t, String body) {
        try {
            return t.post("/v1/completions", body);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * A streaming client that hangs up after the first chunk: its generation stops early (well short
     * of the context), and the next request is answered.
     */
    @Test
    void aClientLeavingMidStreamStopsItsGeneration() throws Exception {
        try (TestServer t = new TestServer(1, 2, 512, 4096)) {
            t.gated(0).delayMillis = 5; // ~500 tokens would take > 2.5 s
            String body = "{\"prompt\": \"x\", \"max_tokens\": 100000, \"temperature\": 0, \"stream\": true}";
            try (Socket s = new Socket("127.0.0.1", t.server.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.contains("data: {")) {
                    // headers, then the first chunk
                }
                assertTrue(line != null && line.contains("data: {"), "no chunk came");
            }
            HttpResponse<String> next = t.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}");
            assertEquals(200, next.statusCode(), next.body());
            String log = t.awaitLog("finish=cancelled");
            var m = java.util.regex.Pattern.compile("client went away: generation ended: stream prompt=\\d+ "
                    + "completion=(\\d+) finish=cancelled").matcher(log);
            assertTrue(m.find(), log);
            assertTrue(Integer.parseInt(m.group(1)) < 400, log);
        }
    }

    /** Closing the server answers the running and the waiting request with 503, and the workers end. */
    @Test
    void shutdownAnswersEveryone() throws Exception {
        TestServer t = new TestServer(1, 2, 512, 4096);
        try {
            TestServer.Gated g = t.gated(0);
            g.gate = new CountDownLatch(1);
            String body = "{\"prompt\": \"x\", \"max_tokens\": 50, \"stream\": true}";
            CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() -> send(t, body));
            assertTrue(g.entered.tryAcquire(30, TimeUnit.SECONDS));
            t.awaitHealth("running", 1);
            CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(
                    () -> send(t, "{\"prompt\": \"y\", \"max_tokens\": 5}"));
            t.awaitHealth("waiting", 1);
            CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(() -> t.server.close(20_000));
            HttpResponse<String> waiting = b.get(30, TimeUnit.SECONDS);
            assertEquals(503, waiting.statusCode(), waiting.body());
            assertTrue(waiting.body().contains("shutting down"), waiting.body());
            g.gate.countDown(); // the running forward pass ends; the job is cancelled at its next token
            HttpResponse<String> running = a.get(30, TimeUnit.SECONDS);
            assertEquals(200, running.statusCode()); // the stream had begun
            JsonNode last = events(running.body()).getLast();
            assertEquals(503, last.at("/error/code").asInt(), running.body());
            assertTrue(closed.get(30, TimeUnit.SECONDS), "the workers did not end");
        } finally {
            t.close();
        }
    }

    /** Two workers generate two requests at the same time, each correctly. */
    @Test
    void twoWorkersRunTwoRequestsAtOnce() throws Exception {
        try (TestServer t = new TestServer(2, 2, 512, 4096)) {
            t.gated(0).gate = new CountDownLatch(1);
            t.gated(1).gate = new CountDownLatch(1);
            String a = "{\"prompt\": \"first\", \"max_tokens\": 6, \"temperature\": 0}";
            String b = "{\"prompt\": \"second one\", \"max_tokens\": 6, \"temperature\": 0}";
            CompletableFuture<HttpResponse<String>> fa = CompletableFuture.supplyAsync(() -> send(t, a));
            CompletableFuture<HttpResponse<String>> fb = CompletableFuture.supplyAsync(() -> send(t, b));
            t.awaitHealth("running", 2);
            t.gated(0).gate.countDown();
            t.gated(1).gate.countDown();
            String ta = json(fa.get(30, TimeUnit.SECONDS)).at("/choices/0/text").asText();
            String tb = json(fb.get(30, TimeUnit.SECONDS)).at("/choices/0/text").asText();
            assertEquals(ta, json(t.post("/v1/completions", a)).at("/choices/0/text").asText());
            assertEquals(tb, json(t.post("/v1/completions", b)).at("/choices/0/text").asText());
        }
    }
}
