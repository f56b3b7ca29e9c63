package dev.gale.backend.tornado;

import dev.gale.TestModels;
import dev.gale.backend.Backend;
import dev.gale.backend.BackendOptions;
import dev.gale.backend.Backends;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole model on the TornadoVM device against the CPU backend: a prompt fed in chunks, then 64
 * greedy steps. Logits agree within 1e-3 of their scale at the end of the prompt and at every step,
 * and both backends pick the same tokens. With a window the sequence (93 tokens) runs well past it,
 * so the rolling buffer wraps around, and some chunks are longer than the window.
 */
class TornadoVsCpuTest {
    static final double TOL = 1e-3;

    @ParameterizedTest(name = "{0}, window {1}, chunks of {2}")
    @CsvSource({"F32, 0, 5", "F32, 8, 11", "Q8_0, 0, 7", "Q8_0, 8, 11", "Q4_0, 0, 6", "Q4_0, 8, 3", "F16, 5, 4",
        "BF16, 0, 9"})
    void logitsAndGreedyTokensMatchTheCpu(GGMLType type, int window, int chunk) {
        compare(TestModels.tiny(type), window, chunk, 64);
    }

    /** 64-wide heads (the tiny model's are 16 wide, short enough for TornadoVM to unroll), RoPE base 1e6. */
    @Test
    void wideHeadsMatchTheCpu() {
        SyntheticModel spec = new SyntheticModel(256, 2, 4, 2, 512, 512, 512, 0, 1_000_000f, GGMLType.Q8_0,
                GGMLType.Q8_0, 9);
        compare(spec, 16, 20, 32);
    }

    @Test
    void tiedEmbeddingsMatchTheCpu() {
        compare(TestModels.tiny(GGMLType.Q4_0).withOutputType(null), 0, 8, 16);
    }

    static void compare(SyntheticModel spec, int window, int chunk, int steps) {
        TornadoTestSupport.requireTornado();
        try (Model m = TestModels.load(spec)) {
            BackendOptions o = new BackendOptions(TornadoTestSupport.BACKEND, 2, 128, chunk, window, null);
            try (Backend device = Backends.create(m, o); Backend cpu = exactCpu(m, o)) {
                assertEquals(cpu.cacheLayout(), device.cacheLayout());
                int vocab = m.config().vocabSize();
                int[] prompt = new SplittableRandom(chunk).ints(29, 3, vocab).toArray();
                float[] expected = new float[vocab];
                float[] actual = new float[vocab];
                for (int pos = 0; pos < prompt.length; pos += chunk) {
                    int[] part = Arrays.copyOfRange(prompt, pos, Math.min(prompt.length, pos + chunk));
                    boolean last = pos + chunk >= prompt.length;
                    cpu.forward(part, pos, last ? expected : null);
                    device.forward(part, pos, last ? actual : null);
                }
                assertClose(expected, actual, TOL, "logits after the prompt");
                for (int i = 0, pos = prompt.length; i < steps; i++, pos++) {
                    int token = argmax(expected);
                    assertEquals(token, argmax(actual), "greedy token " + i);
                    cpu.forward(new int[] {token}, pos, expected);
                    device.forward(new int[] {token}, pos, actual);
                    assertClose(expected, actual, TOL, "logits at step " + i);
                }
            }
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The CPU backend with float activations (the device computes in float; the CLI's CPU default is 8-bit). */
    private static Backend exactCpu(Model m, BackendOptions o) {
        var c = o.apply(m.config());
        return new dev.gale.backend.cpu.CpuBackend(c, m.weights(), o.resolvedContextSize(c), o.resolvedChunkSize(c),
                o.resolvedThreads(), false);
    }
}
