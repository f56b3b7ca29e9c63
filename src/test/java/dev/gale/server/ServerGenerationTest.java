package dev.gale.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.engine.ChatTemplate;
import dev.gale.engine.Sampler;
import dev.gale.engine.SamplerConfig;
import dev.gale.engine.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.gale.server.TestServer.events;
import static dev.gale.server.TestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the server generates, checked against a Session run directly on its own backend: greedy
 * completions and chat answers, streamed and whole, stop strings, and concurrent requests.
 */
class ServerGenerationTest {
    private static TestServer t;

    @BeforeAll
    static void start() throws Exception {
        t = new TestServer();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    /** Greedy generation straight from a Session (the independent reference). */
    private static Session.Result direct(int[] prompt, int maxTokens) {
        try (CpuBackend b = new CpuBackend(t.model.config(), t.model.weights(), 512, 16, 1)) {
            return new Session(b, t.tokenizer, 16).generate(prompt, maxTokens, new Sampler(SamplerConfig.GREEDY),
                    x -> { });
        }
    }

    private static String completion(String prompt, int n, boolean stream, String extra) {
        return "{\"prompt\": \"" + prompt + "\", \"max_tokens\": " + n + ", \"temperature\": 0, \"stream\": " + stream
                + extra + "}";
    }

    @Test
    void completionEqualsSessionGenerate() throws Exception {
        Session.Result expected = direct(t.tokenizer.encode("the cat sat", true, true), 12);
        HttpResponse<String> r = t.post("/v1/completions", completion("the cat sat", 12, false, ""));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = json(r);
        assertEquals("text_completion", o.get("object").asText());
        assertEquals("tiny", o.get("model").asText());
        assertEquals(expected.text(), o.at("/choices/0/text").asText());
        assertEquals(expected.stop() == Session.Stop.EOS ? "stop" : "length", o.at("/choices/0/finish_reason").asText());
        assertEquals(expected.promptTokens(), o.at("/usage/prompt_tokens").asInt());
        assertEquals(expected.tokens().length, o.at("/usage/completion_tokens").asInt());
        assertEquals(expected.promptTokens() + expected.tokens().length, o.at("/usage/total_tokens").asInt());
    }

    @Test
    void streamedCompletionIsTheSameText() throws Exception {
        Session.Result expected = direct(t.tokenizer.encode("a dog", true, true), 10);
        HttpResponse<String> r = t.post("/v1/completions", completion("a dog", 10, true,
                ", \"stream_options\": {\"include_usage\": true}"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> ev = events(r.body());
        StringBuilder text = new StringBuilder();
        for (JsonNode e : ev.subList(0, ev.size() - 2)) {
            assertTrue(e.at("/choices/0/finish_reason").isNull(), e.toString());
            text.append(e.at("/choices/0/text").asText());
        }
        JsonNode last = ev.get(ev.size() - 2);
        assertEquals("length", last.at("/choices/0/finish_reason").asText());
        assertEquals("", last.at("/choices/0/text").asText());
        JsonNode usage = ev.getLast();
        assertEquals(0, usage.get("choices").size());
        assertEquals(10, usage.at("/usage/completion_tokens").asInt());
        assertEquals(expected.text(), text.toString());
    }

    @Test
    void chatEqualsSessionGenerateOnTheTemplate() throws Exception {
        List<ChatTemplate.Message> messages = List.of(ChatTemplate.Message.system("be brief"),
                ChatTemplate.Message.user("the cat"), ChatTemplate.Message.assistant("a dog"),
                ChatTemplate.Message.user("why"));
        Session.Result expected = direct(t.template.encode(messages), 9);
        String answer = expected.text().startsWith(" ") ? expected.text().substring(1) : expected.text();
        String body = "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": "
                + "\"the cat\"}, {\"role\": \"assistant\", \"content\": \"a dog\"}, {\"role\": \"user\", \"content\": "
                + "[{\"type\": \"text\", \"text\": \"why\"}]}], \"max_tokens\": 9, \"temperature\": 0";
        JsonNode o = json(t.post("/v1/chat/completions", body + "}"));
        assertEquals("chat.completion", o.get("object").asText());
        assertEquals("assistant", o.at("/choices/0/message/role").asText());
        assertEquals(answer, o.at("/choices/0/message/content").asText());
        assertEquals(expected.promptTokens(), o.at("/usage/prompt_tokens").asInt());

        List<JsonNode> ev = events(t.post("/v1/chat/completions", body + ", \"stream\": true}").body());
        assertEquals("assistant", ev.getFirst().at("/choices/0/delta/role").asText());
        StringBuilder text = new StringBuilder();
        for (JsonNode e : ev) {
            assertEquals("chat.completion.chunk", e.get("object").asText());
            text.append(e.at("/choices/0/delta/content").asText(""));
        }
        assertEquals(answer, text.toString());
        assertEquals(o.at("/choices/0/finish_reason").asText(), ev.getLast().at("/choices/0/finish_reason").asText());
    }

    /** A stop string ends the text before it, whole or streamed, with finish_reason "stop". */
    @Test
    void stopStringsCutTheText() throws Exception {
        String full = json(t.post("/v1/completions", completion("hello", 24, false, ""))).at("/choices/0/text").asText();
        assertTrue(full.length() >= 8, full);
        String stop = full.substring(5, 8);
        String expected = full.substring(0, full.indexOf(stop));
        String extra = ", \"stop\": [\"zzzz\", " + TestServer.MAPPER.writeValueAsString(stop) + "]";
        JsonNode o = json(t.post("/v1/completions", completion("hello", 24, false, extra)));
        assertEquals(expected, o.at("/choices/0/text").asText());
        assertEquals("stop", o.at("/choices/0/finish_reason").asText());
        assertTrue(o.at("/usage/completion_tokens").asInt() < 24);
        List<JsonNode> ev = events(t.post("/v1/completions", completion("hello", 24, true, extra)).body());
        StringBuilder text = new StringBuilder();
        ev.forEach(e -> text.append(e.at("/choices/0/text").asText()));
        assertEquals(expected, text.toString());
        assertEquals("stop", ev.getLast().at("/choices/0/finish_reason").asText());
    }

    /** Every request starts a fresh sequence: the same greedy request twice gives the same answer. */
    @Test
    void eachRequestStartsAFreshSequence() throws Exception {
        String a = t.post("/v1/completions", completion("once more", 8, false, "")).body();
        String b = t.post("/v1/completions", completion("once more", 8, false, "")).body();
        assertEquals(TestServer.MAPPER.readTree(a).at("/choices/0/text"), TestServer.MAPPER.readTree(b).at("/choices/0/text"));
        assertFalse(TestServer.MAPPER.readTree(a).at("/choices/0/text").asText().isEmpty());
    }

    /** Four requests at once, one worker: all answered, each with its own prompt's text. */
    @Test
    void concurrentRequestsAllCompleteCorrectly() throws Exception {
        String[] prompts = {"one", "two words", "three little words", "four"};
        String[] expected = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            expected[i] = direct(t.tokenizer.encode(prompts[i], true, true), 8).text();
        }
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        try {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                String body = completion(prompts[i], 8, i % 2 == 1, "");
                futures.add(pool.submit(() -> t.post("/v1/completions", body)));
            }
            for (int i = 0; i < prompts.length; i++) {
                HttpResponse<String> r = futures.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                String text;
                if (i % 2 == 1) {
                    StringBuilder sb = new StringBuilder();
                    events(r.body()).forEach(e -> sb.append(e.at("/choices/0/text").asText()));
                    text = sb.toString();
                } else {
                    text = json(r).at("/choices/0/text").asText();
                }
                assertEquals(expected[i], text, prompts[i]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void modelsAndHealth() throws Exception {
        JsonNode m = json(t.get("/v1/models"));
        assertEquals("list", m.get("object").asText());
        assertEquals("tiny", m.at("/data/0/id").asText());
        assertEquals("model", m.at("/data/0/object").asText());
        JsonNode h = json(t.get("/health"));
        assertEquals("ok", h.get("status").asText());
        assertEquals(512, h.get("context_size").asInt());
        assertEquals(1, h.get("workers").asInt());
        String log = t.awaitLog("GET /v1/models 200");
        assertTrue(log.contains("GET /v1/models 200"), log);
    }
}
