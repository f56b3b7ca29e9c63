package dev.gale.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * POST /v1/completions and /v1/chat/completions: checks the request, queues it, then either streams
 * the answer as Server-Sent Events or sends it whole. A streaming client that goes away is noticed
 * at the next write (the worker's text, or a keep-alive comment while the request waits), and its
 * generation is cancelled.
 */
final class CompletionEndpoint {
    /** How long a handler waits for the worker's last report after its client went away. */
    private static final long DRAIN_MILLIS = 5_000;

    private final RequestParser parser;
    private final GenerationQueue queue;
    private final OpenAiJson json;
    private final ObjectMapper mapper;
    private final long keepAliveMillis;

    CompletionEndpoint(RequestParser parser, GenerationQueue queue, OpenAiJson json, ObjectMapper mapper,
                       long keepAliveMillis) {
        this.parser = parser;
        this.queue = queue;
        this.json = json;
        this.mapper = mapper;
        this.keepAliveMillis = keepAliveMillis;
    }

    /** Serves one request; returns what the request log should say about it. */
    String handle(HttpExchange exchange, CompletionRequest.Kind kind, byte[] body)
            throws ApiException, IOException, InterruptedException {
        CompletionRequest r = parser.parse(kind, body);
        String id = (kind == CompletionRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-")
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        Job job = new Job(r, id);
        queue.submit(job);
        return r.stream() ? stream(exchange, job) : whole(exchange, job);
    }

    private String whole(HttpExchange exchange, Job job) throws ApiException, IOException, InterruptedException {
        while (true) {
            Job.Event e = job.next(1, TimeUnit.SECONDS);
            if (e instanceof Job.Done d) {
                Http.sendJson(exchange, 200, mapper.writeValueAsBytes(json.complete(job, d)));
                return note(d, false);
            }
            if (e instanceof Job.Failed f) {
                throw f.error();
            }
        }
    }

    private String stream(HttpExchange exchange, Job job) throws InterruptedException {
        try {
            SseWriter sse = new SseWriter(exchange);
            boolean first = true;
            while (true) {
                Job.Event e = job.next(keepAliveMillis, TimeUnit.MILLISECONDS);
                switch (e) {
                    case null -> sse.comment("waiting");
                    case Job.Text t -> {
                        sse.data(write(json.chunk(job, t.text(), null, first)));
                        first = false;
                    }
                    case Job.Done d -> {
                        sse.data(write(json.chunk(job, "", d, first)));
                        if (job.request.includeUsage()) {
                            sse.data(write(json.usageChunk(job, d)));
                        }
                        sse.done();
                        return note(d, true);
                    }
                    case Job.Failed f -> {
                        sse.data(write(json.error(f.error())));
                        sse.done();
                        return "stream failed: " + f.error().getMessage();
                    }
                }
            }
        } catch (IOException e) {
            job.cancelByClient();
            return "client went away: " + afterCancel(job);
        } catch (InterruptedException e) {
            job.cancelByClient();
            throw e;
        }
    }

    /** What became of a cancelled job: the worker stops at its next token. */
    private static String afterCancel(Job job) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
        while (System.nanoTime() < deadline) {
            Job.Event e = job.next(100, TimeUnit.MILLISECONDS);
            if (e instanceof Job.Done d) {
                return "generation ended: " + note(d, true);
            }
            if (e instanceof Job.Failed f) {
                return f.error().getMessage();
            }
        }
        return "generation still waiting to stop";
    }

    private String write(ObjectNode o) throws IOException {
        return mapper.writeValueAsString(o);
    }

    private static String note(Job.Done d, boolean stream) {
        return String.format("%sprompt=%d completion=%d finish=%s queued=%.3fs generated=%.3fs",
                stream ? "stream " : "", d.promptTokens(), d.completionTokens(), d.finishReason(), d.queueNanos() / 1e9,
                d.runNanos() / 1e9);
    }
}
