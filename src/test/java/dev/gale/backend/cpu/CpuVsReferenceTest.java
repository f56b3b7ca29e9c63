package dev.gale.backend.cpu;

import dev.gale.TestModels;
import dev.gale.backend.reference.ReferenceBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.SyntheticModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;

/** The Vector API forward pass against the plain scalar reference, for every supported type. */
class CpuVsReferenceTest {

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void logitsMatchTheReferenceForEveryToken(GGMLType type) {
        SyntheticModel spec = TestModels.tiny(type);
        try (Model m = TestModels.load(spec)) {
            int vocab = m.config().vocabSize();
            int[] tokens = new SplittableRandom(5).ints(24, 0, vocab).toArray();
            var ref = new ReferenceBackend(m.config(), m.weights(), 64);
            try (var cpu = new CpuBackend(m.config(), m.weights(), 64, 8, 2)) {
                float[] expected = new float[vocab];
                float[] actual = new float[vocab];
                for (int i = 0; i < tokens.length; i++) {
                    ref.forward(new int[] {tokens[i]}, i, expected);
                    cpu.forward(new int[] {tokens[i]}, i, actual);
                    assertClose(expected, actual, 1e-4, type + " logits at position " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "Q4_0"})
    void tiedEmbeddingsUseTheTokenEmbeddingAsOutput(GGMLType type) {
        SyntheticModel spec = TestModels.tiny(type).withOutputType(null);
        try (Model m = TestModels.load(spec)) {
            org.junit.jupiter.api.Assertions.assertTrue(m.weights().tiedEmbeddings());
            int vocab = m.config().vocabSize();
            var ref = new ReferenceBackend(m.config(), m.weights(), 16);
            try (var cpu = new CpuBackend(m.config(), m.weights(), 16, 4, 1)) {
                float[] expected = new float[vocab];
                float[] actual = new float[vocab];
                int[] tokens = {1, 300, 301, 42};
                ref.forward(tokens, 0, expected);
                cpu.forward(tokens, 0, actual);
                assertClose(expected, actual, 1e-4, "tied " + type);
            }
        }
    }
}
