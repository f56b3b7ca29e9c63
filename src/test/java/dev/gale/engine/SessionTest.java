package dev.gale.engine;

import dev.gale.TestModels;
import dev.gale.backend.Backend;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation end to end on a small model: determinism, seeds, stopping, context limits. */
class SessionTest {
    private static final int[] PROMPT = {1, 300, 301, 302, 303, 310, 320};

    private static Session.Result run(Model m, SamplerConfig sc, int maxTokens, int ctx) {
        try (CpuBackend b = new CpuBackend(m.config(), m.weights(), ctx, 4, 2)) {
            Session s = new Session(b, new Tokenizer(m.vocabulary()), 4);
            return s.generate(PROMPT, maxTokens, new Sampler(sc), t -> { });
        }
    }

    private static SamplerConfig sampling(long seed) {
        return new SamplerConfig(1.0f, 0, 1f, 0f, 1f, 64, seed);
    }

    @Test
    void greedyIsDeterministic() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q4_0))) {
            Session.Result a = run(m, SamplerConfig.GREEDY, 30, 64);
            Session.Result b = run(m, SamplerConfig.GREEDY, 30, 64);
            assertEquals(30, a.tokens().length);
            assertArrayEquals(a.tokens(), b.tokens());
            assertEquals(a.text(), b.text());
        }
    }

    @Test
    void aSeedReproducesSamplingAndAnotherSeedDiffers() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            Session.Result a = run(m, sampling(7), 30, 64);
            Session.Result b = run(m, sampling(7), 30, 64);
            Session.Result c = run(m, sampling(8), 30, 64);
            assertArrayEquals(a.tokens(), b.tokens());
            assertFalse(java.util.Arrays.equals(a.tokens(), c.tokens()), "seeds 7 and 8 gave the same 30 tokens");
        }
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            ContextFullException e = assertThrows(ContextFullException.class, () -> run(m, SamplerConfig.GREEDY, 5, 6));
            assertTrue(e.getMessage().contains("context size is 6"), e.getMessage());
            assertTrue(e.getMessage().contains("--ctx-size"), e.getMessage());
        }
    }

    @Test
    void generationStopsWhenTheContextIsFull() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            Session.Result r = run(m, SamplerConfig.GREEDY, 100, 12);
            assertEquals(Session.Stop.CONTEXT_FULL, r.stop());
            assertEquals(12 - PROMPT.length + 1, r.tokens().length); // the last sampled token needs no position
        }
    }

    @Test
    void generationStopsAtEosWhichIsNotPartOfTheOutput() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0));
             CpuBackend cpu = new CpuBackend(m.config(), m.weights(), 64, 8, 1)) {
            int eos = m.vocabulary().eos();
            // the backend's logits after the 4th forward call favour EOS overwhelmingly
            Backend rigged = new Backend() {
                int calls;

                public String name() { return "rigged"; }
                public dev.gale.model.ModelConfig config() { return cpu.config(); }
                public dev.gale.backend.CacheLayout cacheLayout() { return cpu.cacheLayout(); }
                public int maxChunk() { return cpu.maxChunk(); }
                public void reset() { cpu.reset(); }
                public long cacheBytes() { return cpu.cacheBytes(); }
                public void close() { }

                public void forward(int[] tokens, int pos, float[] logits) {
                    cpu.forward(tokens, pos, logits);
                    if (++calls >= 4 && logits != null) {
                        logits[eos] = 1e9f;
                    }
                }
            };
            Session s = new Session(rigged, new Tokenizer(m.vocabulary()), 8);
            Session.Result r = s.generate(PROMPT, 50, new Sampler(SamplerConfig.GREEDY), t -> { });
            assertEquals(Session.Stop.EOS, r.stop());
            assertEquals(3, r.tokens().length); // prompt call + 2 decode calls give 3 tokens, the 4th call says EOS
            for (int t : r.tokens()) {
                assertTrue(t != eos);
            }
        }
    }

    /** A listener asking to stop ends generation after the current token, which is still reported. */
    @Test
    void aListenerCanStopGeneration() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0));
             CpuBackend b = new CpuBackend(m.config(), m.weights(), 64, 4, 1)) {
            Session s = new Session(b, new Tokenizer(m.vocabulary()), 4);
            Session.Result all = s.generate(PROMPT, 10, new Sampler(SamplerConfig.GREEDY), t -> { });
            s.reset();
            int[] calls = {0};
            Session.Result r = s.generate(PROMPT, 10, new Sampler(SamplerConfig.GREEDY), new Session.Listener() {
                public void onText(String text) { }

                public boolean stopRequested() {
                    return ++calls[0] == 3;
                }
            });
            assertEquals(Session.Stop.STOPPED, r.stop());
            assertArrayEquals(java.util.Arrays.copyOf(all.tokens(), 3), r.tokens());
            assertEquals(PROMPT.length + 2, s.position()); // the third token is pending, as after a token limit
        }
    }

    /** A prompt that does not fit is refused before anything is fed, the pending token included. */
    @Test
    void aRefusedPromptLeavesTheSessionAsItWas() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0));
             CpuBackend b = new CpuBackend(m.config(), m.weights(), 16, 4, 1);
             CpuBackend c = new CpuBackend(m.config(), m.weights(), 16, 4, 1)) {
            Tokenizer tok = new Tokenizer(m.vocabulary());
            Session s = new Session(b, tok, 4);
            Session.Result first = s.generate(PROMPT, 3, new Sampler(SamplerConfig.GREEDY), t -> { });
            assertEquals(Session.Stop.MAX_TOKENS, first.stop());
            int pos = s.position();
            assertThrows(ContextFullException.class, () -> s.generate(new int[10], 3, new Sampler(SamplerConfig.GREEDY),
                    t -> { }));
            assertEquals(pos, s.position());
            Session.Result next = s.generate(new int[] {300}, 2, new Sampler(SamplerConfig.GREEDY), t -> { });
            // the same as one uninterrupted sequence: prompt, the 3 tokens, then 300
            Session ref = new Session(c, tok, 4);
            int[] seq = java.util.stream.IntStream.concat(java.util.Arrays.stream(PROMPT),
                    java.util.stream.IntStream.concat(java.util.Arrays.stream(first.tokens()),
                            java.util.stream.IntStream.of(300))).toArray();
            assertArrayEquals(ref.generate(seq, 2, new Sampler(SamplerConfig.GREEDY), t -> { }).tokens(), next.tokens());
        }
    }
}
