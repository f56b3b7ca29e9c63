package dev.gale.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gale.engine.ChatTemplate;
import dev.gale.engine.SamplerConfig;
import dev.gale.model.Vocabulary;
import dev.gale.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns a request body into a {@link CompletionRequest}, or a 400 that names the problem. Sampling
 * parameters are the ones {@link dev.gale.engine.Sampler} has: temperature, top_p, top_k, min_p,
 * repeat_penalty and seed; unknown fields are ignored, but known OpenAI features that Gale lacks
 * (n &gt; 1, logprobs, penalties other than repeat_penalty, tools, ...) are refused rather than
 * silently dropped.
 */
final class RequestParser {
    static final int MAX_STOP_STRINGS = 16;
    static final int COMPLETION_DEFAULT_MAX_TOKENS = 16;

    private final ObjectMapper mapper;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final int contextSize;
    private final SamplerConfig defaults;
    private final Long fixedSeed;
    private final int maxTokensCap;
    private final int maxPieceChars;

    /**
     * @param defaults  sampling used for parameters a request leaves out
     * @param fixedSeed the seed for requests without one (null: a random seed each)
     * @param maxTokens most tokens a request may generate; a request asking for more gets this many
     */
    RequestParser(ObjectMapper mapper, ChatTemplate template, int contextSize, SamplerConfig defaults, Long fixedSeed,
                  int maxTokens) {
        this.mapper = mapper;
        this.tokenizer = template.tokenizer();
        this.template = template;
        this.contextSize = contextSize;
        this.defaults = defaults;
        this.fixedSeed = fixedSeed;
        this.maxTokensCap = maxTokens;
        Vocabulary v = tokenizer.vocabulary();
        int longest = 1;
        for (int i = 0; i < v.size(); i++) {
            if (v.type(i) != Vocabulary.BYTE) {
                longest = Math.max(longest, v.piece(i).length());
            }
        }
        this.maxPieceChars = longest;
    }

    CompletionRequest parse(CompletionRequest.Kind kind, byte[] body) throws ApiException {
        JsonFields f = new JsonFields(object(body));
        refuseUnsupported(f);
        int[] prompt = kind == CompletionRequest.Kind.CHAT ? chatPrompt(f) : completionPrompt(f);
        String what = kind == CompletionRequest.Kind.CHAT ? "messages" : "prompt";
        if (prompt.length > contextSize) {
            throw ApiException.badRequest(what, "the prompt is too long: it has " + prompt.length
                    + " tokens but the context size is " + contextSize);
        }
        int maxTokens = kind == CompletionRequest.Kind.CHAT
                ? f.integer("max_completion_tokens", f.integer("max_tokens", Integer.MAX_VALUE, 0, Integer.MAX_VALUE),
                0, Integer.MAX_VALUE)
                : f.integer("max_tokens", COMPLETION_DEFAULT_MAX_TOKENS, 0, Integer.MAX_VALUE);
        maxTokens = Math.min(maxTokens, maxTokensCap);
        Long seed = f.longInteger("seed");
        long s = seed != null ? seed : fixedSeed != null ? fixedSeed : ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
        SamplerConfig sampling = new SamplerConfig(
                f.number("temperature", defaults.temperature(), 0, false, Double.POSITIVE_INFINITY),
                f.integer("top_k", defaults.topK(), 0, Integer.MAX_VALUE),
                f.number("top_p", defaults.topP(), 0, true, 1),
                f.number("min_p", defaults.minP(), 0, false, 1),
                f.number("repeat_penalty", defaults.repeatPenalty(), 0, true, Double.POSITIVE_INFINITY),
                defaults.repeatLastN(), s);
        boolean stream = f.bool("stream", false);
        boolean usage = false;
        JsonNode so = f.get("stream_options");
        if (so != null) {
            if (!so.isObject()) {
                throw ApiException.badRequest("stream_options", "'stream_options' must be an object, found "
                        + JsonFields.show(so));
            }
            usage = new JsonFields((ObjectNode) so).bool("include_usage", false);
        }
        return new CompletionRequest(kind, prompt, maxTokens, sampling, stops(f), stream, usage);
    }

    private ObjectNode object(byte[] body) throws ApiException {
        if (body.length == 0) {
            throw ApiException.badRequest(null, "the request body is empty: send a JSON object");
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JacksonException e) {
            String m = e.getOriginalMessage();
            var loc = e.getLocation();
            throw ApiException.badRequest(null, "the request body is not valid JSON: "
                    + (m.length() > 160 ? m.substring(0, 157) + "..." : m)
                    + (loc != null && loc.getLineNr() > 0 ? " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")" : ""));
        } catch (java.io.IOException e) {
            throw ApiException.badRequest(null, "the request body could not be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object, found "
                    + (node == null ? "nothing" : node.getNodeType().name().toLowerCase()));
        }
        return (ObjectNode) node;
    }

    private static void refuseUnsupported(JsonFields f) throws ApiException {
        if (f.integer("n", 1, 1, Integer.MAX_VALUE) != 1) {
            throw ApiException.badRequest("n", "'n' must be 1: Gale generates one choice per request");
        }
        if (f.integer("best_of", 1, 1, Integer.MAX_VALUE) != 1) {
            throw ApiException.badRequest("best_of", "'best_of' must be 1");
        }
        for (String p : List.of("frequency_penalty", "presence_penalty")) {
            if (f.number(p, 0, -2, false, 2) != 0) {
                throw ApiException.badRequest(p, "'" + p + "' is not supported: use 'repeat_penalty' (1 = off)");
            }
        }
        JsonNode lp = f.get("logprobs");
        if (lp != null && (lp.isBoolean() ? lp.asBoolean() : !lp.isNumber() || lp.asInt() > 0)) {
            throw ApiException.badRequest("logprobs", "'logprobs' is not supported");
        }
        if (f.bool("echo", false)) {
            throw ApiException.badRequest("echo", "'echo' is not supported");
        }
        for (String p : List.of("tools", "functions")) {
            JsonNode t = f.get(p);
            if (t != null && (!t.isArray() || !t.isEmpty())) {
                throw ApiException.badRequest(p, "'" + p + "': tool calling is not supported");
            }
        }
        JsonNode rf = f.get("response_format");
        if (rf != null && !(rf.isObject() && "text".equals(rf.path("type").asText()))) {
            throw ApiException.badRequest("response_format", "'response_format' must be {\"type\": \"text\"}: "
                    + "JSON mode is not supported");
        }
    }

    private int[] completionPrompt(JsonFields f) throws ApiException {
        JsonNode p = f.get("prompt");
        if (p == null) {
            throw ApiException.badRequest("prompt", "'prompt' is required: a string, or an array of token ids");
        }
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            p = p.get(0);
        }
        if (p.isTextual()) {
            checkLength("prompt", p.asText().length());
            return tokenizer.encode(p.asText(), true, true);
        }
        if (p.isArray() && !p.isEmpty() && p.get(0).isIntegralNumber()) {
            int[] ids = new int[p.size()];
            int vocab = tokenizer.vocabulary().size();
            for (int i = 0; i < ids.length; i++) {
                JsonNode t = p.get(i);
                if (!t.isIntegralNumber() || t.asLong() < 0 || t.asLong() >= vocab) {
                    throw ApiException.badRequest("prompt", "'prompt'[" + i + "] must be a token id in [0, " + vocab
                            + "), found " + JsonFields.show(t));
                }
                ids[i] = t.asInt();
            }
            return ids;
        }
        if (p.isArray() && p.size() > 1) {
            throw ApiException.badRequest("prompt", "'prompt' holds several prompts: send one prompt per request");
        }
        throw ApiException.badRequest("prompt", "'prompt' must be a string or an array of token ids, found "
                + JsonFields.show(p));
    }

    private int[] chatPrompt(JsonFields f) throws ApiException {
        JsonNode ms = f.get("messages");
        if (ms == null) {
            throw ApiException.badRequest("messages", "'messages' is required: an array of {\"role\", \"content\"}");
        }
        if (!ms.isArray() || ms.isEmpty()) {
            throw ApiException.badRequest("messages", "'messages' must be a non-empty array, found "
                    + JsonFields.show(ms));
        }
        List<ChatTemplate.Message> messages = new ArrayList<>();
        long chars = 0;
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.badRequest("messages", "'" + at + "' must be an object, found " + JsonFields.show(m));
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) {
                throw ApiException.badRequest("messages", "'" + at + ".role' must be a string (system, user or assistant)");
            }
            ChatTemplate.Role r;
            try {
                r = ChatTemplate.Role.parse(role.asText());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("messages", "'" + at + ".role': " + e.getMessage());
            }
            String content = content(m.get("content"), at, r);
            chars += content.length();
            messages.add(new ChatTemplate.Message(r, content));
        }
        checkLength("messages", chars);
        try {
            return template.encode(messages);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("messages", "'messages': " + e.getMessage());
        }
    }

    /** A message's text: a string, or an array of {"type": "text", "text": ...} parts. */
    private static String content(JsonNode c, String at, ChatTemplate.Role role) throws ApiException {
        if (c == null || c.isNull()) {
            if (role == ChatTemplate.Role.ASSISTANT) {
                return "";
            }
            throw ApiException.badRequest("messages", "'" + at + ".content' is required");
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest("messages", "'" + at + ".content' parts must be "
                            + "{\"type\": \"text\", \"text\": ...}: only text is supported");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.badRequest("messages", "'" + at + ".content' must be a string, found " + JsonFields.show(c));
    }

    /** Refuses, without tokenizing it, a text too long for the context whatever its tokens. */
    private void checkLength(String param, long chars) throws ApiException {
        long atLeast = chars / maxPieceChars;
        if (atLeast > contextSize) {
            throw ApiException.badRequest(param, "the prompt is too long: its " + chars + " characters make at least "
                    + atLeast + " tokens but the context size is " + contextSize);
        }
    }

    private static List<String> stops(JsonFields f) throws ApiException {
        JsonNode s = f.get("stop");
        if (s == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray() && s.size() <= MAX_STOP_STRINGS) {
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw ApiException.badRequest("stop", "'stop' must hold strings, found " + JsonFields.show(e));
                }
                out.add(e.asText());
            }
        } else {
            throw ApiException.badRequest("stop", "'stop' must be a string or an array of at most " + MAX_STOP_STRINGS
                    + " strings, found " + JsonFields.show(s));
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiException.badRequest("stop", "'stop' strings must not be empty");
        }
        return out;
    }
}
