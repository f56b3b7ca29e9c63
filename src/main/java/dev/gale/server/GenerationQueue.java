package dev.gale.server;

import dev.gale.engine.ChatTemplate;
import dev.gale.engine.Sampler;
import dev.gale.engine.Session;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs generation requests on a fixed set of sessions, one worker thread each, one request at a
 * time per session (a backend is not thread-safe). Requests wait in a bounded queue; when it is
 * full a request is refused at once (503) rather than left to pile up. Every request starts a fresh
 * sequence, and a cancelled one stops at its next token.
 */
final class GenerationQueue implements AutoCloseable {
    static final int RETRY_AFTER_SECONDS = 2;

    private final BlockingQueue<Job> waiting;
    private final int capacity;
    private final List<Thread> workers = new ArrayList<>();
    /** The job each busy worker runs. */
    private final Map<Thread, Job> active = new HashMap<>();
    private final Object lock = new Object();
    private final PrintStream log;
    private boolean closed;

    /**
     * @param sessions one per worker, each over its own backend
     * @param capacity requests that may wait while every worker is busy (0: none)
     */
    GenerationQueue(List<Session> sessions, int capacity, PrintStream log) {
        if (sessions.isEmpty() || capacity < 0) {
            throw new IllegalArgumentException(sessions.size() + " sessions, queue of " + capacity);
        }
        this.capacity = capacity;
        this.waiting = capacity == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(capacity);
        this.log = log;
        for (int i = 0; i < sessions.size(); i++) {
            Session s = sessions.get(i);
            workers.add(Thread.ofPlatform().name("gale-generate-" + i).daemon(true).start(() -> work(s)));
        }
    }

    /** Queues a job, or refuses it with a 503 when the queue is full or the server is shutting down. */
    void submit(Job job) throws ApiException {
        synchronized (lock) { // so that close() cannot drain the queue between the check and the offer
            if (closed) {
                throw ApiException.unavailable("the server is shutting down", 0);
            }
            if (!waiting.offer(job)) {
                throw ApiException.unavailable("the server is busy: " + workers.size() + " generating and "
                        + capacity + " waiting, the most it takes; try again shortly", RETRY_AFTER_SECONDS);
            }
        }
    }

    int waiting() {
        return waiting.size();
    }

    int running() {
        synchronized (lock) {
            return active.size();
        }
    }

    int workers() {
        return workers.size();
    }

    private void work(Session session) {
        while (true) {
            synchronized (lock) {
                if (closed) {
                    return;
                }
            }
            Job job;
            try {
                job = waiting.take();
            } catch (InterruptedException e) {
                return; // close() wakes idle workers this way
            }
            synchronized (lock) {
                if (closed) {
                    job.fail(ApiException.unavailable("the server is shutting down", 0));
                    return;
                }
                active.put(Thread.currentThread(), job);
            }
            try {
                run(session, job);
            } catch (Throwable t) {
                log.println("gale: generation failed: " + t);
                job.fail(ApiException.internal("generation failed: " + t.getMessage()));
            } finally {
                synchronized (lock) {
                    active.remove(Thread.currentThread());
                }
            }
        }
    }

    private static void run(Session session, Job job) {
        long start = System.nanoTime();
        if (job.cancelled()) {
            finishCancelled(job, "", 0, start);
            return;
        }
        CompletionRequest r = job.request;
        session.reset();
        StopStrings stops = new StopStrings(r.stop());
        StringBuilder text = new StringBuilder();
        Session.Listener listener = new Session.Listener() {
            @Override
            public void onText(String piece) {
                String s = stops.append(piece);
                text.append(s);
                job.text(s);
            }

            @Override
            public boolean stopRequested() {
                return job.cancelled() || stops.stopped();
            }
        };
        if (r.kind() == CompletionRequest.Kind.CHAT) {
            listener = ChatTemplate.answerListener(listener);
        }
        Session.Result res = session.generate(r.prompt(), r.maxTokens(), new Sampler(r.sampling()), listener);
        String rest = stops.flush();
        text.append(rest);
        job.text(rest);
        if (job.cancelled() && !stops.stopped() && res.stop() == Session.Stop.STOPPED) {
            finishCancelled(job, text.toString(), res.tokens().length, start);
            return;
        }
        String finish = stops.stopped() || res.stop() == Session.Stop.EOS ? "stop" : "length";
        job.done(new Job.Done(text.toString(), finish, r.prompt().length, res.tokens().length, start - job.submitted,
                System.nanoTime() - start));
    }

    /** A job stopped early: its client is told why, unless it has gone away (then the log is). */
    private static void finishCancelled(Job job, String text, int tokens, long start) {
        if (job.cancelledByClient()) {
            job.done(new Job.Done(text, "cancelled", job.request.prompt().length, tokens, start - job.submitted,
                    System.nanoTime() - start));
        } else {
            job.fail(job.cancellation());
        }
    }

    /**
     * Refuses the waiting jobs, cancels the running ones and waits up to {@code millis} for the
     * workers to end. Returns whether they did (a pre-fill chunk cannot be interrupted).
     */
    boolean close(long millis) {
        List<Job> cancelled;
        synchronized (lock) {
            if (closed) {
                return workers.stream().noneMatch(Thread::isAlive);
            }
            closed = true;
            cancelled = new ArrayList<>(active.values());
            for (Thread t : workers) {
                if (!active.containsKey(t)) {
                    t.interrupt(); // idle: waiting for a job (a busy one sees its job cancelled, then `closed`)
                }
            }
        }
        ApiException shutdown = ApiException.unavailable("the server is shutting down", 0);
        for (Job j : cancelled) {
            j.cancel(shutdown);
        }
        List<Job> refused = new ArrayList<>();
        waiting.drainTo(refused);
        for (Job j : refused) {
            j.fail(shutdown);
        }
        if (!cancelled.isEmpty() || !refused.isEmpty()) {
            log.printf("gale: shutting down: %d running request(s) cancelled, %d waiting refused%n", cancelled.size(),
                    refused.size());
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (Thread t : workers) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return workers.stream().noneMatch(Thread::isAlive);
    }

    @Override
    public void close() {
        close(10_000);
    }
}
