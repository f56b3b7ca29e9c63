package dev.gale.engine;

import dev.gale.TestModels;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.ModelConfig;
import dev.gale.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The idea of mistral-inference's test_chunks: feeding a prompt in chunks gives the same logits and
 * the same generated tokens as feeding it one token at a time.
 */
class ChunkedPrefillTest {

    @ParameterizedTest(name = "W={0} chunk={1}")
    @CsvSource({"0, 5", "0, 64", "8, 3", "8, 8", "8, 17", "5, 50"})
    void chunkedEqualsUnchunked(int window, int chunk) {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            ModelConfig c = m.config().withSlidingWindow(window);
            Tokenizer tok = new Tokenizer(m.vocabulary());
            int[] prompt = new SplittableRandom(chunk).ints(61, 3, c.vocabSize()).toArray();
            int ctx = 128;
            try (CpuBackend one = new CpuBackend(c, m.weights(), ctx, 1, 2);
                 CpuBackend many = new CpuBackend(c, m.weights(), ctx, chunk, 2)) {
                Session a = new Session(one, tok, 1);
                Session b = new Session(many, tok, chunk);
                a.feed(prompt);
                b.feed(prompt);
                assertClose(a.logits(), b.logits(), 1e-5, "logits after the prompt");
                Session.Result ra = a.generate(new int[0], 40, new Sampler(SamplerConfig.GREEDY), t -> { });
                Session.Result rb = b.generate(new int[0], 40, new Sampler(SamplerConfig.GREEDY), t -> { });
                assertArrayEquals(ra.tokens(), rb.tokens(), "greedy continuation");
                assertClose(a.logits(), b.logits(), 1e-5, "logits after generating");
            }
        }
    }
}
