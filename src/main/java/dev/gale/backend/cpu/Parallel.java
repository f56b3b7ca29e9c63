package dev.gale.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits loops over a fixed set of threads; the calling thread takes the first share. With one
 * thread everything runs on the caller.
 */
public final class Parallel implements AutoCloseable {
    /** A loop body over [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    /** A loop body over [start, end) that also learns its share's index, 0 .. threads - 1. */
    @FunctionalInterface
    public interface IndexedRange {
        void run(int share, int start, int end);
    }

    private final int threads;
    private final ExecutorService pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, found " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "gale-worker");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /** Runs body over [0, n) split into contiguous shares, one per thread, multiples of {@code grain}. */
    public void forRange(int n, int grain, Range body) {
        forShares(n, grain, (share, start, end) -> body.run(start, end));
    }

    /** Like {@link #forRange}, telling each share its index (for per-thread scratch buffers). */
    public void forShares(int n, int grain, IndexedRange body) {
        int shares = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (shares <= 1) {
            body.run(0, 0, n);
            return;
        }
        int units = (n + grain - 1) / grain;
        List<Future<?>> futures = new ArrayList<>(shares - 1);
        for (int s = 1; s < shares; s++) {
            int start = Math.min(n, (int) ((long) units * s / shares) * grain);
            int end = Math.min(n, (int) ((long) units * (s + 1) / shares) * grain);
            int share = s;
            futures.add(pool.submit(() -> body.run(share, start, end)));
        }
        body.run(0, 0, Math.min(n, (int) ((long) units / shares) * grain));
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
