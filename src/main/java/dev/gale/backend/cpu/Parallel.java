package dev.gale.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for the loops of a forward pass: the caller plus {@code threads - 1}
 * workers. A job is published by bumping a generation counter; workers spin briefly waiting for
 * the next one (a token needs hundreds of jobs, so the gap between them is short), then park. The
 * caller takes part in every job and returns when all shares are done, so a job is a barrier.
 *
 * <p>Loops are split into chunks of {@code grain} handed out through an atomic counter, so a thread
 * that loses its core for a while (the machine is shared) does not hold up the others. Nothing is
 * allocated per job when the body is a reused object.
 */
public final class Parallel implements AutoCloseable {
    /** A loop body over [start, end); {@code share} (0 .. threads-1) names the thread, for scratch buffers. */
    @FunctionalInterface
    public interface Range {
        void run(int share, int start, int end);
    }

    /** How long an idle thread spins before it parks. */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Worker[] workers;

    // the current job, published by the volatile write of `generation`
    private Range body;
    private int n;
    private int grain;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread waiter;
    private volatile Throwable failure;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, found " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].thread.start();
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs body over [0, n) in chunks of {@code grain} (the last may be shorter) on every thread,
     * returning when all are done; with one thread, or n &lt;= grain, as a single call on the
     * caller. Not reentrant: a body must not call back into this pool.
     */
    public void forChunks(int n, int grain, Range body) {
        if (n <= 0) {
            return;
        }
        grain = Math.max(1, grain);
        if (workers.length == 0 || n <= grain) {
            body.run(0, 0, n);
            return;
        }
        this.body = body;
        this.n = n;
        this.grain = grain;
        nextChunk.set(0);
        failure = null;
        pending.set(workers.length);
        waiter = Thread.currentThread();
        generation = generation + 1;
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
        Throwable mine = null;
        try {
            work(0);
        } catch (Throwable t) {
            mine = t;
        }
        awaitWorkers();
        this.body = null;
        Throwable t = mine != null ? mine : failure;
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    /**
     * Runs body over [0, n) split into one contiguous share per thread (multiples of {@code grain}),
     * for loops whose shares must be fixed.
     */
    public void forShares(int n, int grain, Range body) {
        grain = Math.max(1, grain);
        int units = (n + grain - 1) / grain;
        int shares = Math.min(threads, units);
        if (shares <= 1) {
            if (n > 0) {
                body.run(0, 0, n);
            }
            return;
        }
        int g = grain;
        forChunks(shares, 1, (share, s0, s1) -> {
            for (int s = s0; s < s1; s++) {
                int start = Math.min(n, (int) ((long) units * s / shares) * g);
                int end = Math.min(n, (int) ((long) units * (s + 1) / shares) * g);
                body.run(share, start, end);
            }
        });
    }

    private void work(int share) {
        Range b = body;
        int total = n;
        int g = grain;
        while (true) {
            int c = nextChunk.getAndIncrement();
            long start = (long) c * g;
            if (start >= total) {
                return;
            }
            b.run(share, (int) start, (int) Math.min(total, start + g));
        }
    }

    private void awaitWorkers() {
        long deadline = 0;
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < 64) {
                Thread.onSpinWait();
                continue;
            }
            spins = 0;
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + SPIN_NANOS;
            } else if (now > deadline) {
                LockSupport.parkNanos(this, 50_000);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }

    private final class Worker implements Runnable {
        final int share;
        final Thread thread;
        volatile boolean parked;

        Worker(int share) {
            this.share = share;
            this.thread = new Thread(this, "gale-worker-" + share);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long g = awaitJob(seen);
                if (g < 0) {
                    return;
                }
                seen = g;
                try {
                    work(share);
                } catch (Throwable t) {
                    failure = t;
                }
                if (pending.decrementAndGet() == 0) {
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        }

        /** Waits for a generation after {@code seen}; -1 when the pool is closed. */
        private long awaitJob(long seen) {
            long deadline = 0;
            int spins = 0;
            while (true) {
                long g = generation;
                if (g != seen) {
                    return g;
                }
                if (closed) {
                    return -1;
                }
                if (++spins < 64) {
                    Thread.onSpinWait();
                    continue;
                }
                spins = 0;
                long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + SPIN_NANOS;
                } else if (now > deadline) {
                    parked = true;
                    if (generation == seen && !closed) {
                        LockSupport.park(Parallel.this);
                    }
                    parked = false;
                }
            }
        }
    }
}
