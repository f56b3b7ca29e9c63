package dev.gale.backend.tornado;

import dev.gale.backend.Backend;
import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;
import dev.gale.model.Weights;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The transformer on a TornadoVM device (OpenCL, PTX or SPIR-V): the {@link ForwardGraphs} in one
 * execution plan. Per forward pass the host sends the chunk's token ids and a 4-int {@link Step},
 * runs the graphs (each layer group once per layer), and reads back only the logits it asked for
 * (or 4 ints, to wait for the device). Weights and the KV cache stay on the device.
 */
final class TornadoTransformer implements Backend {
    private final String name;
    private final ModelConfig c;
    private final CacheLayout layout;
    private final int maxChunk;
    private final List<LayerGroup> groups;
    private final ForwardGraphs graphs;
    private final TornadoExecutionPlan plan;
    private final int logitsGraph;
    private final int syncGraph;
    private int next;
    private int gridTokens;
    private boolean closed;

    TornadoTransformer(String name, ModelConfig config, Weights weights, int contextSize, int maxChunk,
                       TornadoDevice device, WorkGroups wg, int maxLayersPerGraph) {
        this.name = name;
        this.c = config;
        this.layout = CacheLayout.of(config.slidingWindow(), contextSize);
        this.maxChunk = maxChunk;
        if (c.headDim() > TornadoAttention.MAX_HEAD_DIM) {
            throw new IllegalArgumentException("head size " + c.headDim() + " is above the " + name
                    + " backend's limit of " + TornadoAttention.MAX_HEAD_DIM);
        }
        long maxAllocation = Math.min(device.getMaxAllocMemory(), Integer.MAX_VALUE - 64L);
        this.groups = LayerGroup.partition(c, weights, layout, maxAllocation, maxLayersPerGraph);
        DeviceMatrix embedding = DeviceMatrix.stack(List.of(weights.tokenEmbedding()));
        DeviceMatrix output = weights.tiedEmbeddings() ? embedding : DeviceMatrix.stack(List.of(weights.output()));
        for (DeviceMatrix m : new DeviceMatrix[] {embedding, output}) {
            if (m.deviceBytes() > maxAllocation) {
                throw new IllegalArgumentException(String.format("%s (%.2f GB) exceeds the device's largest buffer "
                        + "(%.2f GB)", m, m.deviceBytes() / 1e9, maxAllocation / 1e9));
            }
        }
        FloatArray outputNorm = new FloatArray(c.embeddingLength());
        MemorySegment.copy(weights.outputNorm().data(), 0, outputNorm.getSegment(), 0,
                (long) c.embeddingLength() * Float.BYTES);
        RopeTable rope = new RopeTable(contextSize, c.ropeDimensionCount(), c.ropeFreqBase());
        this.graphs = new ForwardGraphs(c, layout, maxChunk, embedding, groups, outputNorm, output, rope, wg);
        long bytes = embedding.deviceBytes() + (output == embedding ? 0 : output.deviceBytes())
                + rope.deviceBytes() * groups.size() + activationBytes(c, maxChunk);
        for (LayerGroup g : groups) {
            bytes += g.deviceBytes();
        }
        long memory = device.getMaxGlobalMemory();
        if (memory > 0 && bytes > memory) {
            throw new IllegalArgumentException(String.format("the model needs %.2f GB on the device (weights, KV "
                    + "cache, activations); %s has %.2f GB. Use a smaller --ctx-size or --chunk-size, a smaller "
                    + "quantization, or another --device", bytes / 1e9, device.getPhysicalDevice().getDeviceName(),
                    memory / 1e9));
        }
        this.logitsGraph = groups.size() + 1;
        this.syncGraph = groups.size() + 2;
        this.plan = new TornadoExecutionPlan(graphs.graphs.toArray(new ImmutableTaskGraph[0]));
        plan.withDevice(device).withGridScheduler(graphs.scheduler);
        this.gridTokens = 1;
    }

    /** Bytes of the activation buffers on the device (see {@link ForwardGraphs}). */
    static long activationBytes(ModelConfig c, int maxChunk) {
        long perToken = 2L * c.embeddingLength() + 2L * c.qDim() + 2L * c.kvDim() + 3L * c.feedForwardLength();
        return (perToken * maxChunk + c.embeddingLength() + c.vocabSize()) * Float.BYTES;
    }

    /**
     * Runs two throw-away passes so that TornadoVM compiles every kernel and sends the weights now,
     * not during the first real forward pass. (The plan's withPreCompilation() does not help here:
     * graphs selected with withGraph() compile again on their first execution.)
     */
    void warmUp() {
        forward(new int[] {0}, 0, null);
        reset();
        forward(new int[] {0}, 0, new float[c.vocabSize()]);
        reset();
    }

    /** The task graphs' names, in execution order. */
    List<String> graphNames() {
        return graphs.names;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ModelConfig config() {
        return c;
    }

    @Override
    public CacheLayout cacheLayout() {
        return layout;
    }

    @Override
    public int maxChunk() {
        return maxChunk;
    }

    @Override
    public void forward(int[] tokens, int pos, float[] logits) {
        if (closed) {
            throw new IllegalStateException("the " + name + " backend is closed");
        }
        int n = tokens.length;
        int vocab = c.vocabSize();
        if (n < 1 || n > maxChunk) {
            throw new IllegalArgumentException("chunk of " + n + " tokens; this backend takes 1 to " + maxChunk);
        }
        if (pos != next) {
            throw new IllegalArgumentException("position " + pos + " does not continue the sequence at " + next);
        }
        if (pos + n > layout.contextSize()) {
            throw new IllegalArgumentException("position " + (pos + n) + " is past the context size "
                    + layout.contextSize());
        }
        if (logits != null && logits.length != vocab && logits.length != (long) n * vocab) {
            throw new IllegalArgumentException("logits buffer of " + logits.length + " floats fits neither "
                    + vocab + " nor " + n + " x " + vocab);
        }
        for (int t = 0; t < n; t++) {
            if (tokens[t] < 0 || tokens[t] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[t] + " is outside the vocabulary of " + vocab);
            }
            graphs.tokens.set(t, tokens[t]);
        }
        graphs.step.set(Step.POS, pos);
        graphs.step.set(Step.N, n);
        graphs.step.set(Step.LAYER, 0);
        graphs.step.set(Step.ROW, 0);
        if (n != gridTokens) {
            graphs.resize(n);
            gridTokens = n;
        }
        next = -1; // until the pass completes
        plan.withGraph(0).execute();
        for (int g = 0; g < groups.size(); g++) {
            for (int l = 0; l < groups.get(g).count; l++) {
                plan.withGraph(g + 1).execute();
            }
        }
        if (logits == null) {
            plan.withGraph(syncGraph).execute();
            check(pos, n);
        } else {
            for (int r = logits.length == vocab ? n - 1 : 0; r < n; r++) {
                graphs.headStep.set(Step.ROW, r);
                plan.withGraph(logitsGraph).execute();
                check(pos, n);
                int at = logits.length == vocab ? 0 : r * vocab;
                MemorySegment.copy(graphs.logits.getSegment(), ValueLayout.JAVA_FLOAT, 0, logits, at, vocab);
            }
        }
        next = pos + n;
    }

    /** The step read back must show every layer run for this chunk. */
    private void check(int pos, int n) {
        var s = graphs.stepOut;
        if (s.get(Step.POS) != pos || s.get(Step.N) != n || s.get(Step.LAYER) != c.blockCount()) {
            throw new IllegalStateException(String.format("the device is out of step: it reports position %d, "
                    + "%d tokens, %d layers run; expected %d, %d, %d", s.get(Step.POS), s.get(Step.N),
                    s.get(Step.LAYER), pos, n, c.blockCount()));
        }
    }

    @Override
    public void reset() {
        next = 0;
    }

    @Override
    public long cacheBytes() {
        return layout.bytes(c.blockCount(), c.kvDim(), Float.BYTES);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                plan.close();
            } catch (TornadoExecutionPlanException e) {
                throw new IllegalStateException("closing the " + name + " backend: " + e.getMessage(), e);
            }
        }
    }
}
