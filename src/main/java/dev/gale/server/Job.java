package dev.gale.server;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A request on its way through the generation queue. The worker reports to it (text as it comes,
 * then the outcome or an error) without ever waiting for the client; the HTTP handler reads the
 * reports at its own pace. Either side may cancel: the handler when its client has gone away, the
 * server when it shuts down.
 */
final class Job {
    /** What the worker reports, in order: any number of {@link Text}, then one {@link Done} or {@link Failed}. */
    sealed interface Event permits Text, Done, Failed {
    }

    record Text(String text) implements Event {
    }

    /**
     * @param finishReason "stop" (EOS or a stop string), "length" (max_tokens or the context), or
     *                     "cancelled" (the client went away)
     */
    record Done(String text, String finishReason, int promptTokens, int completionTokens, long queueNanos,
                long runNanos) implements Event {
    }

    record Failed(ApiException error) implements Event {
    }

    final CompletionRequest request;
    final String id;
    final long created = System.currentTimeMillis() / 1000;
    final long submitted = System.nanoTime();
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile ApiException cancelled;
    private volatile boolean cancelledByClient;

    Job(CompletionRequest request, String id) {
        this.request = request;
        this.id = id;
    }

    void text(String text) {
        if (request.stream() && !text.isEmpty()) {
            events.add(new Text(text));
        }
    }

    void done(Done outcome) {
        events.add(outcome);
    }

    void fail(ApiException error) {
        events.add(new Failed(error));
    }

    /** The next report, or null if none came within the timeout. */
    Event next(long timeout, TimeUnit unit) throws InterruptedException {
        return events.poll(timeout, unit);
    }

    /** The client has gone away: stop generating for it. */
    void cancelByClient() {
        cancelledByClient = true;
        if (cancelled == null) {
            cancelled = ApiException.internal("the client went away");
        }
    }

    /** Stop generating, and answer with {@code why} instead. */
    void cancel(ApiException why) {
        if (cancelled == null) {
            cancelled = why;
        }
    }

    boolean cancelled() {
        return cancelled != null;
    }

    boolean cancelledByClient() {
        return cancelledByClient;
    }

    /** Why the job was cancelled (null if it was not). */
    ApiException cancellation() {
        return cancelled;
    }
}
