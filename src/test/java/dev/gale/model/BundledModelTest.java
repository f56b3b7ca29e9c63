package dev.gale.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.backend.reference.ReferenceBackend;
import dev.gale.engine.Sampler;
import dev.gale.engine.SamplerConfig;
import dev.gale.engine.Session;
import dev.gale.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static dev.gale.Floats.assertClose;
import static dev.gale.Floats.maxRelDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny model bundled in models/: it loads, its forward pass agrees with PyTorch's (the logits
 * tasks/train-tiny-model computed from the same Q8_0 weights), with the scalar reference, and
 * generates reproducibly. The check sequence (300 tokens) runs past twice the sliding window, so
 * the CPU backend's rolling cache wraps around.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BundledModelTest {
    private static final String PROMPT = "The old man walked into the";
    private Model model;
    private ModelConfig config;
    private JsonNode fixture;
    private int[] tokens;
    private float[] reference;      // [position][vocab]: ReferenceBackend, the model's window
    private float[] cpu;            // likewise, CpuBackend
    private float[] fullAttention;  // ReferenceBackend with the window ignored
    private long cpuCacheBytes;

    @BeforeAll
    void runTheCheckSequence() {
        model = BundledModel.load();
        config = model.config();
        fixture = BundledModel.fixture("logits.json");
        tokens = BundledModel.ints(fixture.get("tokens"));
        int vocab = config.vocabSize();
        int ctx = config.contextLength();
        reference = new float[tokens.length * vocab];
        new ReferenceBackend(config, model.weights(), ctx).forward(tokens, 0, reference);
        fullAttention = new float[tokens.length * vocab];
        new ReferenceBackend(config.withSlidingWindow(0), model.weights(), ctx).forward(tokens, 0, fullAttention);
        cpu = new float[tokens.length * vocab];
        try (CpuBackend b = new CpuBackend(config, model.weights(), ctx, 50, 2)) {
            // pre-fill in chunks of 50 up to 250, then decode one token at a time
            int pos = 0;
            while (pos < tokens.length) {
                int n = pos < 250 ? Math.min(50, tokens.length - pos) : 1;
                float[] out = new float[n * vocab];
                b.forward(Arrays.copyOfRange(tokens, pos, pos + n), pos, out);
                System.arraycopy(out, 0, cpu, pos * vocab, out.length);
                pos += n;
            }
            cpuCacheBytes = b.cacheBytes();
        }
    }

    @AfterAll
    void close() {
        model.close();
    }

    private float[] at(float[] all, int pos) {
        int vocab = config.vocabSize();
        return Arrays.copyOfRange(all, pos * vocab, (pos + 1) * vocab);
    }

    @Test
    void metadataCarriesAMistralShapeWithASlidingWindow() throws Exception {
        assertTrue(model.file().has("llama.attention.sliding_window"));
        int w = config.slidingWindow();
        assertEquals(fixture.get("window").intValue(), w);
        assertTrue(w > 0 && w < config.contextLength(), "window " + w + ", context " + config.contextLength());
        assertTrue(config.headCountKv() < config.headCount(), "grouped-query attention");
        assertTrue(tokens.length > 2 * w, "the check sequence runs past twice the window");
        assertEquals("llama", model.vocabulary().model());
    }

    @Test
    void cpuAndReferenceReproducePyTorch() {
        JsonNode positions = fixture.get("positions");
        double worstCpu = 0;
        double worstRef = 0;
        for (int i = 0; i < positions.size(); i++) {
            int p = positions.get(i).intValue();
            float[] expected = BundledModel.floats(fixture.get("logits").get(i));
            assertClose(expected, at(reference, p), 1e-3, "reference vs PyTorch at position " + p);
            assertClose(expected, at(cpu, p), 1e-3, "cpu vs PyTorch at position " + p);
            worstRef = Math.max(worstRef, maxRelDiff(expected, at(reference, p)));
            worstCpu = Math.max(worstCpu, maxRelDiff(expected, at(cpu, p)));
        }
        System.out.printf("BundledModelTest: max difference from PyTorch, relative to max |logit|: "
                + "reference %.2e, cpu %.2e%n", worstRef, worstCpu);
    }

    @Test
    void cpuMatchesTheReferenceAtEveryPosition() {
        for (int p = 0; p < tokens.length; p++) {
            assertClose(at(reference, p), at(cpu, p), 1e-4, "cpu vs reference at position " + p);
        }
    }

    @Test
    void pastTheWindowTheRollingCacheHoldsWSlotsAndTheWindowMatters() {
        int w = config.slidingWindow();
        assertEquals((long) config.blockCount() * w * config.kvDim() * 2 * Float.BYTES, cpuCacheBytes);
        // Up to W-1 the window hides nothing; past it, ignoring the window changes the logits far
        // beyond the tolerance the backends are held to, so the agreement above is meaningful.
        int last = tokens.length - 1;
        assertClose(at(reference, w - 1), at(fullAttention, w - 1), 1e-6, "before the window fills");
        double diff = maxRelDiff(at(reference, last), at(fullAttention, last));
        assertTrue(diff > 1e-2, "full attention differs from the window by only " + diff);
        assertTrue(maxRelDiff(at(fullAttention, last), at(cpu, last)) > 1e-2);
    }

    private int[] generate(SamplerConfig sc, int n) {
        Tokenizer tok = new Tokenizer(model.vocabulary());
        try (CpuBackend b = new CpuBackend(config, model.weights(), config.contextLength(), 64, 2)) {
            Session s = new Session(b, tok, 64);
            return s.generate(tok.encode(PROMPT, true, false), n, new Sampler(sc), t -> { }).tokens();
        }
    }

    private static SamplerConfig seeded(long seed) {
        return new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1f, 64, seed);
    }

    @Test
    void aFixedSeedReproducesTheOutput() {
        int[] a = generate(seeded(7), 40);
        int[] b = generate(seeded(7), 40);
        int[] c = generate(seeded(8), 40);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "seeds 7 and 8 gave the same 40 tokens");
    }

    @Test
    void greedyContinuationIsMostlyRealWords() throws Exception {
        int[] out = generate(SamplerConfig.GREEDY, 40);
        String text = new Tokenizer(model.vocabulary()).decode(out);
        System.out.println("BundledModelTest: greedy: " + PROMPT + text);
        assertMostlyRealWords(text);
    }

    @Test
    void sampledContinuationIsMostlyRealWords() throws Exception {
        int[] out = generate(seeded(1), 40);
        String text = new Tokenizer(model.vocabulary()).decode(out);
        System.out.println("BundledModelTest: seed 1: " + PROMPT + text);
        assertMostlyRealWords(text);
    }

    /** At least 80% of the words are among the 10,000 most frequent words of the training corpus. */
    private static void assertMostlyRealWords(String text) throws Exception {
        Set<String> known;
        try (var in = BundledModelTest.class.getResourceAsStream("/tiny/words.txt")) {
            known = Set.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        }
        List<String> words = Arrays.stream(text.split("[^A-Za-z']+")).map(w -> w.replaceAll("^'+|'+$", ""))
                .filter(w -> !w.isEmpty()).map(w -> w.toLowerCase(Locale.ROOT)).toList();
        long real = words.stream().filter(known::contains).count();
        assertTrue(words.size() >= 5 && real >= 0.8 * words.size(),
                real + " of " + words.size() + " words are real: " + text);
        assertTrue(words.stream().distinct().count() >= 5, "too repetitive: " + text);
    }
}
