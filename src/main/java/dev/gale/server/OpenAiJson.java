package dev.gale.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The JSON shapes of OpenAI's API that the server answers with. */
final class OpenAiJson {
    private final ObjectMapper mapper;
    private final String model;

    OpenAiJson(ObjectMapper mapper, String model) {
        this.mapper = mapper;
        this.model = model;
    }

    private ObjectNode head(Job job, String object) {
        ObjectNode o = mapper.createObjectNode();
        o.put("id", job.id);
        o.put("object", object);
        o.put("created", job.created);
        o.put("model", model);
        return o;
    }

    private static String finish(Job.Done d) {
        return d.finishReason().equals("cancelled") ? "stop" : d.finishReason();
    }

    /** The answer to a request that did not stream. */
    ObjectNode complete(Job job, Job.Done d) {
        boolean chat = job.request.kind() == CompletionRequest.Kind.CHAT;
        ObjectNode o = head(job, chat ? "chat.completion" : "text_completion");
        ObjectNode c = o.putArray("choices").addObject();
        c.put("index", 0);
        if (chat) {
            ObjectNode m = c.putObject("message");
            m.put("role", "assistant");
            m.put("content", d.text());
        } else {
            c.put("text", d.text());
            c.putNull("logprobs");
        }
        c.put("finish_reason", finish(d));
        o.set("usage", usage(d));
        return o;
    }

    /**
     * A streamed piece: {@code text} with a null finish_reason, or (with {@code done}) the last
     * chunk, empty, with the finish reason. A chat's first chunk also carries the role.
     */
    ObjectNode chunk(Job job, String text, Job.Done done, boolean first) {
        boolean chat = job.request.kind() == CompletionRequest.Kind.CHAT;
        ObjectNode o = head(job, chat ? "chat.completion.chunk" : "text_completion");
        ObjectNode c = o.putArray("choices").addObject();
        c.put("index", 0);
        if (chat) {
            ObjectNode delta = c.putObject("delta");
            if (first) {
                delta.put("role", "assistant");
            }
            if (done == null) {
                delta.put("content", text);
            }
        } else {
            c.put("text", done == null ? text : "");
            c.putNull("logprobs");
        }
        if (done == null) {
            c.putNull("finish_reason");
        } else {
            c.put("finish_reason", finish(done));
        }
        return o;
    }

    /** The chunk after the last one when the client asked for usage: no choices, the token counts. */
    ObjectNode usageChunk(Job job, Job.Done d) {
        boolean chat = job.request.kind() == CompletionRequest.Kind.CHAT;
        ObjectNode o = head(job, chat ? "chat.completion.chunk" : "text_completion");
        o.putArray("choices");
        o.set("usage", usage(d));
        return o;
    }

    ObjectNode usage(Job.Done d) {
        ObjectNode u = mapper.createObjectNode();
        u.put("prompt_tokens", d.promptTokens());
        u.put("completion_tokens", d.completionTokens());
        u.put("total_tokens", d.promptTokens() + d.completionTokens());
        return u;
    }

    ObjectNode models(long created) {
        ObjectNode o = mapper.createObjectNode();
        o.put("object", "list");
        ObjectNode m = o.putArray("data").addObject();
        m.put("id", model);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "gale");
        return o;
    }

    /** {"error": {"message", "type", "param", "code"}}, code being the HTTP status. */
    ObjectNode error(ApiException e) {
        ObjectNode o = mapper.createObjectNode();
        ObjectNode err = o.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        if (e.param == null) {
            err.putNull("param");
        } else {
            err.put("param", e.param);
        }
        err.put("code", e.status);
        return o;
    }
}
