package dev.gale.backend.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void everyIndexRunsExactlyOnceWithAValidShare(int threads) {
        try (Parallel p = new Parallel(threads)) {
            for (int n : new int[] {0, 1, 2, 7, 64, 65, 1000}) {
                for (int grain : new int[] {1, 3, 64}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                    boolean[] badShare = {false};
                    p.forChunks(n, grain, (share, start, end) -> {
                        if (share < 0 || share >= threads || (threads > 1 && end - start > grain) || start >= end) {
                            badShare[0] = true;
                        }
                        for (int i = start; i < end; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "n=" + n + " grain=" + grain + " index " + i);
                    }
                    assertTrue(!badShare[0], "share index or chunk bounds out of range");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void manyJobsInARowEachSeeTheirOwnData(int threads) {
        try (Parallel p = new Parallel(threads)) {
            long[] sums = new long[threads];
            for (int job = 0; job < 2000; job++) {
                java.util.Arrays.fill(sums, 0);
                int n = 1 + job % 97;
                p.forChunks(n, 2, (share, start, end) -> {
                    for (int i = start; i < end; i++) {
                        sums[share] += i;
                    }
                });
                long total = 0;
                for (long s : sums) {
                    total += s;
                }
                assertEquals((long) n * (n - 1) / 2, total, "job " + job);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void sharesAreContiguousAndCoverTheRange(int threads) {
        try (Parallel p = new Parallel(threads)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(101);
            p.forShares(101, 4, (share, start, end) -> {
                assertTrue(start % 4 == 0, "shares start on a multiple of the grain");
                for (int i = start; i < end; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 101; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void anExceptionInAWorkerReachesTheCallerAndThePoolStillWorks() {
        try (Parallel p = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forChunks(100, 1, (s, a, b) -> {
                if (a == 57) {
                    throw new IllegalStateException("boom at 57");
                }
            }));
            assertEquals("boom at 57", e.getMessage());
            int[] count = {0};
            p.forChunks(10, 10, (s, a, b) -> count[0] += b - a);
            assertEquals(10, count[0]);
        }
    }

    @Test
    void rejectsZeroThreads() {
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }
}
