package dev.gale.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gale.TestModels;
import dev.gale.engine.ChatTemplate;
import dev.gale.engine.SamplerConfig;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Defaults, limits and prompt encoding of requests (their errors are tested over HTTP). */
class RequestParserTest {
    private static final SamplerConfig DEFAULTS = new SamplerConfig(0.7f, 40, 0.9f, 0.05f, 1.1f, 64, 0);

    private static ChatTemplate template() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            return new ChatTemplate(new Tokenizer(m.vocabulary()));
        }
    }

    private static CompletionRequest parse(RequestParser p, CompletionRequest.Kind kind, String json) throws ApiException {
        return p.parse(kind, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void defaultsAndTheTokenCap() throws Exception {
        ChatTemplate t = template();
        RequestParser open = new RequestParser(new ObjectMapper(), t, 512, DEFAULTS, 7L, Integer.MAX_VALUE);
        CompletionRequest c = parse(open, CompletionRequest.Kind.COMPLETION, "{\"prompt\": \"hi\"}");
        assertEquals(16, c.maxTokens()); // OpenAI's default for completions
        assertEquals(new SamplerConfig(0.7f, 40, 0.9f, 0.05f, 1.1f, 64, 7), c.sampling());
        assertEquals(List.of(), c.stop());
        CompletionRequest chat = parse(open, CompletionRequest.Kind.CHAT,
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 0, \"seed\": 3, "
                        + "\"stop\": \"x\", \"top_k\": 5, \"min_p\": 0, \"top_p\": 1, \"repeat_penalty\": 1}");
        assertEquals(Integer.MAX_VALUE, chat.maxTokens()); // chat: until EOS or the context is full
        assertEquals(new SamplerConfig(0f, 5, 1f, 0f, 1f, 64, 3), chat.sampling());
        assertEquals(List.of("x"), chat.stop());

        RequestParser capped = new RequestParser(new ObjectMapper(), t, 512, DEFAULTS, null, 5);
        assertEquals(5, parse(capped, CompletionRequest.Kind.COMPLETION, "{\"prompt\": \"hi\", \"max_tokens\": 100}")
                .maxTokens());
        assertEquals(3, parse(capped, CompletionRequest.Kind.CHAT,
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_completion_tokens\": 3}").maxTokens());
        // without a fixed seed each request gets its own
        assertNotEquals(parse(capped, CompletionRequest.Kind.COMPLETION, "{\"prompt\": \"hi\"}").sampling().seed(),
                parse(capped, CompletionRequest.Kind.COMPLETION, "{\"prompt\": \"hi\"}").sampling().seed());
    }

    @Test
    void promptsAreEncodedWithBosAndControlTokensAndMessagesWithTheTemplate() throws Exception {
        ChatTemplate t = template();
        RequestParser p = new RequestParser(new ObjectMapper(), t, 512, DEFAULTS, null, Integer.MAX_VALUE);
        assertArrayEquals(t.tokenizer().encode("[INST] hi [/INST]", true, true),
                parse(p, CompletionRequest.Kind.COMPLETION, "{\"prompt\": \"[INST] hi [/INST]\"}").prompt());
        assertEquals(3, parse(p, CompletionRequest.Kind.COMPLETION, "{\"prompt\": \"[INST] hi [/INST]\"}").prompt()[1]);
        assertArrayEquals(new int[] {1, 300, 301},
                parse(p, CompletionRequest.Kind.COMPLETION, "{\"prompt\": [1, 300, 301]}").prompt());
        assertArrayEquals(t.encode(List.of(ChatTemplate.Message.system("s"), ChatTemplate.Message.user("u"))),
                parse(p, CompletionRequest.Kind.CHAT, "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, "
                        + "{\"role\": \"user\", \"content\": \"u\"}]}").prompt());
    }

    @Test
    void aPromptOfExactlyTheContextIsAcceptedOneMoreIsNot() throws Exception {
        RequestParser p = new RequestParser(new ObjectMapper(), template(), 4, DEFAULTS, null, Integer.MAX_VALUE);
        assertEquals(4, parse(p, CompletionRequest.Kind.COMPLETION, "{\"prompt\": [1, 2, 3, 4]}").prompt().length);
        ApiException e = assertThrows(ApiException.class,
                () -> parse(p, CompletionRequest.Kind.COMPLETION, "{\"prompt\": [1, 2, 3, 4, 5]}"));
        assertEquals(400, e.status);
        assertEquals("the prompt is too long: it has 5 tokens but the context size is 4", e.getMessage());
    }
}
