package dev.gale.backend.tornado;

import dev.gale.TestModels;
import dev.gale.backend.Backend;
import dev.gale.backend.BackendOptions;
import dev.gale.backend.BackendUnavailableException;
import dev.gale.backend.Backends;
import dev.gale.backend.DeviceInfo;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.ModelConfig;
import dev.gale.model.SyntheticModel;
import dev.gale.model.Tensor;
import dev.gale.model.Weights;
import dev.gale.quant.Formats;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TornadoVM backend's contract beyond the numbers: graph layouts, all-token logits, reset, errors. */
class TornadoBackendTest {

    /** Layers split into task graphs of at most 3: two groups, one stacked (layers 0-2) and one single. */
    @Test
    void layerGroupsOfAnySizeGiveTheCpuLogits() {
        TornadoTestSupport.requireTornado();
        SyntheticModel spec = TestModels.tiny(GGMLType.Q8_0).withLayers(4);
        try (Model m = TestModels.load(spec)) {
            ModelConfig c = m.config().withSlidingWindow(6);
            try (TornadoTransformer device = transformer(m, c, 32, 5, 3);
                 CpuBackend cpu = new CpuBackend(c, m.weights(), 32, 5, 2)) {
                assertEquals(List.of("embed", "layers_0_2", "layer_3", "logits", "sync"), device.graphNames());
                runBoth(device, cpu, 20, 5);
            }
        }
    }

    /** One task graph per layer (tasks layer_0.attn_q, ...), the layout of one graph per layer. */
    @Test
    void oneGraphPerLayerGivesTheCpuLogits() {
        TornadoTestSupport.requireTornado();
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q4_0))) {
            ModelConfig c = m.config();
            try (TornadoTransformer device = transformer(m, c, 32, 4, 1);
                 CpuBackend cpu = new CpuBackend(c, m.weights(), 32, 4, 2)) {
                assertEquals(List.of("embed", "layer_0", "layer_1", "logits", "sync"), device.graphNames());
                runBoth(device, cpu, 12, 4);
            }
        }
    }

    /** Wv and Wup in another type than Wq, Wk and Wgate: they cannot be fused and run as their own products. */
    @Test
    void tensorsOfMixedTypesRunAsSeparateProducts() {
        TornadoTestSupport.requireTornado();
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            Weights.Layer[] layers = m.weights().layers().clone();
            for (int i = 0; i < layers.length; i++) {
                Weights.Layer l = layers[i];
                layers[i] = new Weights.Layer(l.attnNorm(), l.attnQ(), l.attnK(), requantize(l.attnV(), GGMLType.F16),
                        l.attnOutput(), l.ffnNorm(), l.ffnGate(), l.ffnDown(), requantize(l.ffnUp(), GGMLType.Q4_0));
            }
            Weights w = new Weights(m.weights().tokenEmbedding(), layers, m.weights().outputNorm(), m.weights().output());
            ModelConfig c = m.config();
            try (TornadoTransformer device = new TornadoTransformer(TornadoTestSupport.BACKEND, c, w, 32, 4,
                    TornadoTestSupport.device(), TornadoTestSupport.workGroups(), Integer.MAX_VALUE);
                 CpuBackend cpu = new CpuBackend(c, w, 32, 4, 2)) {
                device.warmUp();
                runBoth(device, cpu, 10, 4);
            }
        }
    }

    private static Tensor requantize(Tensor t, GGMLType type) {
        float[] values = Formats.of(t.type()).dequantize(t.data());
        return new Tensor(t.name(), type, t.rows(), t.cols(), Formats.of(type).quantize(values));
    }

    @Test
    void logitsForEveryTokenOfAChunkAndResetStartingOver() {
        TornadoTestSupport.requireTornado();
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.F32))) {
            BackendOptions o = new BackendOptions(TornadoTestSupport.BACKEND, 2, 64, 8, null, null);
            int vocab = m.config().vocabSize();
            int[] tokens = new SplittableRandom(3).ints(6, 3, vocab).toArray();
            try (Backend device = Backends.create(m, o); Backend cpu = exactCpu(m, o)) {
                float[] expected = new float[tokens.length * vocab];
                float[] all = new float[tokens.length * vocab];
                cpu.forward(tokens, 0, expected);
                device.forward(tokens, 0, all);
                assertClose(expected, all, 1e-3, "every token's logits");
                float[] next = new float[vocab];
                device.forward(new int[] {7}, tokens.length, next);
                device.reset();
                float[] again = new float[tokens.length * vocab];
                device.forward(tokens, 0, again);
                assertArrayEquals(all, again, "the same logits after reset()");
                assertEquals(device.cacheLayout().bytes(2, m.config().kvDim(), Float.BYTES), device.cacheBytes());
            }
        }
    }

    @Test
    void badCallsAreRefusedWithoutSpoilingTheSequence() {
        TornadoTestSupport.requireTornado();
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            BackendOptions o = new BackendOptions(TornadoTestSupport.BACKEND, 2, 16, 4, null, null);
            try (Backend device = Backends.create(m, o)) {
                int vocab = m.config().vocabSize();
                float[] logits = new float[vocab];
                device.forward(new int[] {1, 2}, 0, logits);
                assertThrows(IllegalArgumentException.class, () -> device.forward(new int[] {3}, 5, null),
                        "a gap in the positions");
                assertThrows(IllegalArgumentException.class, () -> device.forward(new int[] {vocab}, 2, null),
                        "a token outside the vocabulary");
                assertThrows(IllegalArgumentException.class, () -> device.forward(new int[5], 2, null),
                        "a chunk longer than maxChunk");
                assertThrows(IllegalArgumentException.class, () -> device.forward(new int[] {3}, 2, new float[7]),
                        "a logits buffer of the wrong size");
                float[] after = new float[vocab];
                device.forward(new int[] {3}, 2, after); // the sequence goes on where it was
                assertTrue(Float.isFinite(after[0]));
                for (int pos = 3; pos < 15; pos += 4) {
                    device.forward(new int[] {4, 5, 6, 7}, pos, null);
                }
                var e = assertThrows(IllegalArgumentException.class, () -> device.forward(new int[] {8, 9}, 15, null));
                assertTrue(e.getMessage().contains("past the context size 16"), e.getMessage());
            }
        }
    }

    @Test
    void aDeviceThatDoesNotExistIsNamedInTheError() {
        TornadoTestSupport.requireTornado();
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            BackendOptions o = new BackendOptions(TornadoTestSupport.BACKEND, 2, 16, 4, null, 99);
            var e = assertThrows(BackendUnavailableException.class, () -> Backends.create(m, o));
            assertTrue(e.getMessage().contains("--device 99 does not exist"), e.getMessage());
        }
    }

    @Test
    void devicesAreListedWithTheirIndex() {
        TornadoTestSupport.requireTornado();
        List<DeviceInfo> devices = Backends.tornadoDevices(TornadoTestSupport.BACKEND);
        assertFalse(devices.isEmpty());
        for (int i = 0; i < devices.size(); i++) {
            DeviceInfo d = devices.get(i);
            assertEquals(i, d.index());
            assertEquals(TornadoTestSupport.BACKEND, d.backend());
            assertTrue(d.memory() > 0 && d.maxBuffer() > 0 && !d.name().isBlank(), d.toString());
        }
    }

    private static TornadoTransformer transformer(Model m, ModelConfig c, int ctx, int chunk, int layersPerGraph) {
        TornadoTransformer t = new TornadoTransformer(TornadoTestSupport.BACKEND, c, m.weights(), ctx, chunk,
                TornadoTestSupport.device(), TornadoTestSupport.workGroups(), layersPerGraph);
        t.warmUp();
        return t;
    }

    /** Feeds the same random tokens to both, in chunks, comparing the last token's logits each time. */
    private static void runBoth(Backend device, Backend cpu, int tokens, int chunk) {
        int vocab = cpu.config().vocabSize();
        int[] seq = new SplittableRandom(tokens).ints(tokens, 3, vocab).toArray();
        float[] expected = new float[vocab];
        float[] actual = new float[vocab];
        for (int pos = 0; pos < tokens; pos += chunk) {
            int[] part = java.util.Arrays.copyOfRange(seq, pos, Math.min(tokens, pos + chunk));
            cpu.forward(part, pos, expected);
            device.forward(part, pos, actual);
            assertClose(expected, actual, 1e-3, "logits at " + (pos + part.length - 1));
        }
    }

    /** The CPU backend with float activations (the device computes in float; the CLI's CPU default is 8-bit). */
    private static Backend exactCpu(Model m, BackendOptions o) {
        var c = o.apply(m.config());
        return new dev.gale.backend.cpu.CpuBackend(c, m.weights(), o.resolvedContextSize(c), o.resolvedChunkSize(c),
                o.resolvedThreads(), false);
    }
}
