package dev.gale.backend.cpu;

import dev.gale.Floats;
import dev.gale.TestModels;
import dev.gale.backend.reference.ReferenceBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;

/**
 * With 8-bit activations (as llama.cpp computes), decode stays close to the float reference: the
 * quantization error of each product (at most half a step of 1/127 of a block's largest value)
 * keeps the logits within a couple of percent of their scale. Pre-fill is float (GEMM) except
 * through a multi-token 8-bit kernel (Q4_0 repacked for AVX-512), which has decode's error.
 */
class QuantizedActivationsTest {

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q8_0", "Q4_0"})
    void decodeWith8BitActivationsStaysCloseToTheReference(GGMLType type) {
        try (Model m = TestModels.load(TestModels.tiny(type))) {
            int vocab = m.config().vocabSize();
            int[] tokens = new SplittableRandom(11).ints(20, 0, vocab).toArray();
            var ref = new ReferenceBackend(m.config(), m.weights(), 64);
            try (var cpu = new CpuBackend(m.config(), m.weights(), 64, 8, 2, true)) {
                float[] expected = new float[vocab];
                float[] actual = new float[vocab];
                double worst = 0;
                for (int i = 0; i < tokens.length; i++) {
                    ref.forward(new int[] {tokens[i]}, i, expected);
                    cpu.forward(new int[] {tokens[i]}, i, actual);
                    assertClose(expected, actual, 4e-2, type + " logits at position " + i);
                    worst = Math.max(worst, Floats.maxRelDiff(expected, actual));
                }
                System.out.printf("%s with 8-bit activations: worst logit error %.2g of scale%n", type, worst);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q8_0", "Q4_0"})
    void prefillChunksMatchTheReference(GGMLType type) {
        boolean eightBit = type == GGMLType.Q4_0 && InterleavedMatrix.ENABLED;
        try (Model m = TestModels.load(TestModels.tiny(type))) {
            int vocab = m.config().vocabSize();
            int[] tokens = new SplittableRandom(12).ints(13, 0, vocab).toArray();
            var ref = new ReferenceBackend(m.config(), m.weights(), 64);
            try (var cpu = new CpuBackend(m.config(), m.weights(), 64, 13, 3, true)) {
                float[] expected = new float[vocab * tokens.length];
                float[] actual = new float[vocab * tokens.length];
                ref.forward(tokens, 0, expected);
                cpu.forward(tokens, 0, actual);
                assertClose(expected, actual, eightBit ? 4e-2 : 1e-4, type + " chunk of 13 tokens");
            }
        }
    }
}
