package dev.gale.engine;

import dev.gale.TestModels;
import dev.gale.backend.Backend;
import dev.gale.backend.BackendOptions;
import dev.gale.backend.Backends;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.backend.reference.ReferenceBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.gale.Floats.assertClose;
import static dev.gale.Floats.maxRelDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sliding-window attention (Mistral 7B, section 2): the rolling buffer of W slots, fed in chunks,
 * against the plain definition — a full cache with the band mask j &lt;= i, j &gt; i - W.
 */
class SlidingWindowTest {

    static Stream<Arguments> windowsChunksTypes() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (GGMLType type : new GGMLType[] {GGMLType.F32, GGMLType.Q8_0}) {
            for (int w : new int[] {4, 7, 16}) {
                for (int chunk : new int[] {1, 3, w, 2 * w + 1}) {
                    b.add(Arguments.of(type, w, chunk));
                }
            }
        }
        return b.build();
    }

    /** Every position's logits of a sequence 10 x W + 3 long, fed in chunks, match the band-mask reference. */
    @ParameterizedTest(name = "{0} W={1} chunk={2}")
    @MethodSource("windowsChunksTypes")
    void rollingBufferMatchesBandMask(GGMLType type, int window, int chunk) {
        try (Model m = TestModels.load(TestModels.tiny(type))) {
            ModelConfig c = m.config().withSlidingWindow(window);
            int n = 10 * window + 3;
            int vocab = c.vocabSize();
            int[] tokens = new SplittableRandom(window * 31L + chunk).ints(n, 0, vocab).toArray();
            float[] expected = new float[n * vocab];
            new ReferenceBackend(c, m.weights(), n).forward(tokens, 0, expected);
            float[] actual = new float[n * vocab];
            try (CpuBackend cpu = new CpuBackend(c, m.weights(), n, chunk, 2)) {
                for (int start = 0; start < n; start += chunk) {
                    int end = Math.min(n, start + chunk);
                    float[] rows = new float[(end - start) * vocab];
                    cpu.forward(Arrays.copyOfRange(tokens, start, end), start, rows);
                    System.arraycopy(rows, 0, actual, start * vocab, rows.length);
                }
                assertEquals(c.blockCount() * (long) window * c.kvDim() * 2 * Float.BYTES, cpu.cacheBytes());
            }
            for (int i = 0; i < n; i++) {
                assertClose(Arrays.copyOfRange(expected, i * vocab, (i + 1) * vocab),
                        Arrays.copyOfRange(actual, i * vocab, (i + 1) * vocab), 1e-5, "position " + i);
            }
        }
    }

    /** The cache stays W slots per layer however long the sequence runs: 50 x W tokens here. */
    @Test
    void cacheMemoryIsLayersTimesWindowTimesKvDimTimesTwo() {
        int window = 8;
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            ModelConfig c = m.config().withSlidingWindow(window);
            int n = 50 * window;
            try (CpuBackend cpu = new CpuBackend(c, m.weights(), n, window, 1)) {
                long expected = (long) c.blockCount() * window * c.kvDim() * 2 * Float.BYTES;
                int[] tokens = new SplittableRandom(1).ints(n, 0, c.vocabSize()).toArray();
                for (int start = 0; start < n; start += window) {
                    cpu.forward(Arrays.copyOfRange(tokens, start, start + window), start, null);
                }
                assertEquals(expected, cpu.cacheBytes(), "after " + n + " tokens");
            }
            // without a window the cache grows with the sequence, up to the context
            try (CpuBackend full = new CpuBackend(m.config().withSlidingWindow(0), m.weights(), n, window, 1)) {
                int[] tokens = new SplittableRandom(2).ints(n, 0, c.vocabSize()).toArray();
                for (int start = 0; start < n; start += window) {
                    full.forward(Arrays.copyOfRange(tokens, start, start + window), start, null);
                }
                assertEquals((long) c.blockCount() * n * c.kvDim() * 2 * Float.BYTES, full.cacheBytes());
            }
        }
    }

    /**
     * The window comes from the GGUF key, --sliding-window overrides it and 0 turns it off; each
     * choice changes the logits past the window (so a test that ignored the window would fail).
     */
    @Test
    void windowFromGgufKeyFlagOverrideAndZero() {
        int keyWindow = 6;
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.F32).withSlidingWindow(keyWindow))) {
            assertEquals(keyWindow, m.config().slidingWindow(), "read from llama.attention.sliding_window");
            int n = 4 * keyWindow;
            int[] tokens = new SplittableRandom(9).ints(n, 0, m.config().vocabSize()).toArray();

            float[] withKey = lastLogits(m, BackendOptions.cpu(), tokens);
            float[] override = lastLogits(m, BackendOptions.cpu().withSlidingWindow(3), tokens);
            float[] none = lastLogits(m, BackendOptions.cpu().withSlidingWindow(0), tokens);

            assertClose(reference(m, keyWindow, tokens), withKey, 1e-5, "GGUF key W=6");
            assertClose(reference(m, 3, tokens), override, 1e-5, "--sliding-window 3");
            assertClose(reference(m, 0, tokens), none, 1e-5, "--sliding-window 0");
            assertTrue(maxRelDiff(withKey, override) > 1e-3, "W=3 must differ from W=6");
            assertTrue(maxRelDiff(withKey, none) > 1e-3, "full attention must differ from W=6");
        }
    }

    private static float[] lastLogits(Model m, BackendOptions o, int[] tokens) {
        float[] logits = new float[m.config().vocabSize()];
        try (Backend b = Backends.create(m, o.withContextSize(tokens.length).withChunkSize(tokens.length).withThreads(1))) {
            b.forward(tokens, 0, logits);
        }
        return logits;
    }

    private static float[] reference(Model m, int window, int[] tokens) {
        float[] logits = new float[m.config().vocabSize()];
        new ReferenceBackend(m.config().withSlidingWindow(window), m.weights(), tokens.length).forward(tokens, 0, logits);
        return logits;
    }
}
