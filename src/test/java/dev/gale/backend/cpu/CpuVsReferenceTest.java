package dev.gale.backend.cpu;

import dev.gale.TestModels;
import dev.gale.backend.reference.ReferenceBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.SyntheticModel;
import dev.gale.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Vector API forward pass against the plain scalar reference, for every supported type. */
class CpuVsReferenceTest {

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void logitsMatchTheReferenceForEveryToken(GGMLType type) {
        SyntheticModel spec = type.blockSize == 256 ? TestModels.tinyK(type) : TestModels.tiny(type);
        assertLogitsMatchTheReference(spec, type.toString());
    }

    /** Like llama.cpp's Q4_K_M and Q5_K_M files: attn_v, ffn_down and output with more bits. */
    @ParameterizedTest
    @CsvSource({"Q4_K, Q6_K", "Q5_K, Q6_K"})
    void kQuantMixesMatchTheReference(GGMLType base, GGMLType moreBits) {
        SyntheticModel spec = TestModels.tinyK(base).withMix(base, moreBits);
        try (Model m = TestModels.load(spec)) {
            Weights.Layer layer = m.weights().layers()[1];
            assertEquals(base, layer.attnQ().type());
            assertEquals(base, layer.ffnUp().type());
            assertEquals(base, m.weights().tokenEmbedding().type());
            assertEquals(moreBits, layer.attnV().type());
            assertEquals(moreBits, layer.ffnDown().type());
            assertEquals(moreBits, m.weights().output().type());
        }
        assertLogitsMatchTheReference(spec, base + " with " + moreBits);
    }

    private static void assertLogitsMatchTheReference(SyntheticModel spec, String what) {
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
                    assertClose(expected, actual, 1e-4, what + " logits at position " + i);
                }
            }
        }
    }

    /**
     * Chunks of growing and shrinking length on one backend (its activation buffers grow with the
     * largest chunk; the last chunk takes the blocked GEMM, whose packed input is allocated then):
     * the logits at the end of each chunk are the reference's, fed token by token.
     */
    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"F32", "Q4_0"})
    void chunksOfChangingLengthMatchTheReference(GGMLType type) {
        try (Model m = TestModels.load(TestModels.tiny(type))) {
            int vocab = m.config().vocabSize();
            int[] chunks = {1, 2, 5, 17, 3, 70};
            int[] tokens = new SplittableRandom(7).ints(98, 0, vocab).toArray();
            var ref = new ReferenceBackend(m.config(), m.weights(), 128);
            try (var cpu = new CpuBackend(m.config(), m.weights(), 128, 80, 2)) {
                cpu.warmUp(); // the start-up warm-up uses the same buffers and must leave nothing behind
                float[] expected = new float[vocab];
                float[] actual = new float[vocab];
                int pos = 0;
                for (int n : chunks) {
                    for (int i = pos; i < pos + n; i++) {
                        ref.forward(new int[] {tokens[i]}, i, expected);
                    }
                    cpu.forward(java.util.Arrays.copyOfRange(tokens, pos, pos + n), pos, actual);
                    pos += n;
                    assertClose(expected, actual, 1e-4, type + " logits after a chunk of " + n + " ending at " + pos);
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
