package dev.gale.backend.tornado;

import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.List;

/**
 * The task graphs of a forward pass, in the order they run, and their work-group grids:
 * <ol>
 *   <li>{@code embed}: the chunk's tokens and {@link Step} go in; the embedding rows come out on the device;</li>
 *   <li>one graph per {@link LayerGroup} ({@code layers_0_31}, or {@code layer_<i>} for a group of one),
 *       executed once per layer of the group; its last task advances the layer counter;</li>
 *   <li>{@code logits}: the final norm and the output matrix for one row; the only graph that sends
 *       activations back (vocab floats);</li>
 *   <li>{@code sync}: reads the 4-int step back when no logits are wanted, so the host knows the device is done.</li>
 * </ol>
 * Weights, the RoPE table and the KV cache are sent (or allocated) at the first execution and stay on
 * the device; activations never leave it. Task names are {@code <graph>.<op>}, e.g.
 * {@code layers_0_31.ffn_gate_up}. A layer is 11 kernel launches: attn_norm, attn_qkv, rope, attention,
 * kv_store, attn_output (+ residual), ffn_norm, ffn_gate_up, swiglu, ffn_down (+ residual), next_layer.
 */
final class ForwardGraphs {
    static final String EMBED = "embed";
    static final String LOGITS = "logits";
    static final String SYNC = "sync";

    final List<ImmutableTaskGraph> graphs = new ArrayList<>();
    final List<String> names = new ArrayList<>();
    final GridScheduler scheduler = new GridScheduler();

    // inputs and outputs
    final IntArray tokens;
    final IntArray step = new IntArray(Step.SIZE);
    final IntArray headStep = new IntArray(Step.SIZE);
    final IntArray stepOut = new IntArray(Step.SIZE);
    final FloatArray logits;

    /** A grid whose size follows the chunk length: perToken work-items per token, in groups of local. */
    private record Scaled(WorkerGrid grid, int perToken, int local) {
    }

    private final List<Scaled> scaled = new ArrayList<>();
    private final KernelContext ctx = new KernelContext();
    private final WorkGroups wg;

    ForwardGraphs(ModelConfig c, CacheLayout layout, int maxChunk, DeviceMatrix embedding, List<LayerGroup> groups,
                  FloatArray outputNorm, DeviceMatrix output, RopeTable rope, WorkGroups wg) {
        this.wg = wg;
        int dim = c.embeddingLength();
        int hidden = c.feedForwardLength();
        int qkvRow = c.qDim() + 2 * c.kvDim();
        this.tokens = new IntArray(maxChunk);
        this.logits = new FloatArray(c.vocabSize());
        // activations, maxChunk rows each; they never leave the device
        FloatArray x = new FloatArray(maxChunk * dim);            // the residual stream
        FloatArray xb = new FloatArray(maxChunk * dim);           // its RMSNorm
        FloatArray qkv = new FloatArray(maxChunk * qkvRow);       // queries, keys, values
        FloatArray att = new FloatArray(maxChunk * c.qDim());     // attention output
        FloatArray gateUp = new FloatArray(maxChunk * 2 * hidden);
        FloatArray ffn = new FloatArray(maxChunk * hidden);       // silu(gate) * up
        FloatArray xl = new FloatArray(dim);                      // the normed row the logits come from
        headStep.set(Step.N, 1);
        boolean tied = embedding == output;

        TaskGraph e = new TaskGraph(EMBED)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, embedding.array())
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, step);
        embedding.lookup(e, "token_embd", ctx, tokens, x, step);
        elementwise(EMBED, "token_embd", dim);
        e.persistOnDevice(tied ? new Object[] {x, step, embedding.array()} : new Object[] {x, step});
        add(e, EMBED);

        String previous = EMBED;
        float eps = c.rmsEps();
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        for (LayerGroup g : groups) {
            String name = g.name();
            int f = g.first;
            // With tied embeddings the table is handed along the chain to the logits graph: TornadoVM
            // can only take a buffer from the graph that ran just before.
            Object[] carried = tied ? new Object[] {x, step, embedding.array()} : new Object[] {x, step};
            TaskGraph t = new TaskGraph(name).consumeFromDevice(previous, carried)
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, g.attnNorm, g.ffnNorm, rope.cos, rope.sin);
            for (DeviceMatrix m : g.matrices()) {
                t.transferToDevice(DataTransferMode.FIRST_EXECUTION, m.array());
            }
            // The KV cache is in no transfer: it is allocated on the device and stays there.
            t.task("attn_norm", TornadoRmsNorm::rmsnorm, ctx, x, g.attnNorm, xb, step, dim, eps, dim, f);
            rows(name, "attn_norm", wg.rmsnorm());
            matvecs(t, name, g.qkv, List.of("attn_qkv", "attn_q", "attn_k", "attn_v"), xb, qkv, qkvRow, f);
            t.task("rope", TornadoRope::rope, ctx, qkv, rope.cos, rope.sin, step, c.headCount(), c.headCountKv(),
                    c.headDim(), rope.pairs);
            elementwise(name, "rope", (c.headCount() + c.headCountKv()) * rope.pairs);
            t.task("attention", TornadoAttention::attention, ctx, qkv, g.keyCache, g.valueCache, att, step,
                    c.headCount(), c.headCountKv(), c.headDim(), layout.slots(), layout.window(), scale, f);
            rows(name, "attention", c.headCount() * wg.attention(), wg.attention());
            t.task("kv_store", TornadoKVCache::storeKV, ctx, qkv, g.keyCache, g.valueCache, step, c.qDim(),
                    c.kvDim(), layout.slots(), f);
            elementwise(name, "kv_store", c.kvDim());
            // x += Wo att: the residual connection is the matrix-vector product's accumulate mode
            g.attnOutput.matvec(t, "attn_output", ctx, att, x, step, f, dim, 0, true);
            fixed(name, "attn_output", g.attnOutput.rows * wg.matvec(), wg.matvec());
            t.task("ffn_norm", TornadoRmsNorm::rmsnorm, ctx, x, g.ffnNorm, xb, step, dim, eps, dim, f);
            rows(name, "ffn_norm", wg.rmsnorm());
            matvecs(t, name, g.gateUp, List.of("ffn_gate_up", "ffn_gate", "ffn_up"), xb, gateUp, 2 * hidden, f);
            t.task("swiglu", TornadoSwiGlu::swiglu, ctx, gateUp, ffn, step, hidden);
            elementwise(name, "swiglu", hidden);
            g.ffnDown.matvec(t, "ffn_down", ctx, ffn, x, step, f, dim, 0, true);
            fixed(name, "ffn_down", g.ffnDown.rows * wg.matvec(), wg.matvec());
            t.task("next_layer", TornadoLayerCounter::nextLayer, ctx, step);
            fixed(name, "next_layer", 1, 1);
            t.persistOnDevice(carried);
            add(t, name);
            previous = name;
        }

        TaskGraph h = new TaskGraph(LOGITS);
        if (tied) {
            h.consumeFromDevice(previous, x, step, output.array());
        } else {
            h.consumeFromDevice(previous, x, step).transferToDevice(DataTransferMode.FIRST_EXECUTION, output.array());
        }
        h.transferToDevice(DataTransferMode.FIRST_EXECUTION, outputNorm)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, headStep)
                .task("output_norm", TornadoRmsNorm::rmsnorm, ctx, x, outputNorm, xl, headStep, dim, eps, 0, 0);
        fixed(LOGITS, "output_norm", wg.rmsnorm(), wg.rmsnorm());
        output.matvec(h, "output", ctx, xl, logits, headStep, 0, c.vocabSize(), 0, false);
        fixed(LOGITS, "output", output.rows * wg.matvec(), wg.matvec());
        h.task("read_step", TornadoLayerCounter::copyStep, ctx, step, stepOut);
        fixed(LOGITS, "read_step", Step.SIZE, Step.SIZE);
        h.transferToHost(DataTransferMode.EVERY_EXECUTION, logits, stepOut);
        add(h, LOGITS);

        TaskGraph s = new TaskGraph(SYNC).consumeFromDevice(previous, step)
                .task("read_step", TornadoLayerCounter::copyStep, ctx, step, stepOut)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, stepOut);
        fixed(SYNC, "read_step", Step.SIZE, Step.SIZE);
        add(s, SYNC);
        resize(1);
    }

    /**
     * Adds the product of a fused family (one task, {@code names[0]}) or of its separate matrices (one
     * task each, {@code names[1..]}), into rows of {@code stride} floats of {@code out}.
     */
    private void matvecs(TaskGraph t, String graph, List<LayerGroup.Part> parts, List<String> names, FloatArray in,
                         FloatArray out, int stride, int firstLayer) {
        for (int i = 0; i < parts.size(); i++) {
            LayerGroup.Part p = parts.get(i);
            String task = parts.size() == 1 ? names.getFirst() : names.get(i + 1);
            p.matrix().matvec(t, task, ctx, in, out, step, firstLayer, stride, p.offset(), false);
            fixed(graph, task, p.matrix().rows * wg.matvec(), wg.matvec());
        }
    }

    /** Sets the grids that follow the chunk length for a chunk of n tokens. */
    void resize(int n) {
        for (Scaled s : scaled) {
            long items = (long) n * s.perToken;
            s.grid.setGlobalWork((items + s.local - 1) / s.local * s.local, 1, 1);
        }
    }

    private void add(TaskGraph g, String name) {
        graphs.add(g.snapshot());
        names.add(name);
    }

    private void fixed(String graph, String task, int global, int local) {
        WorkerGrid grid = new WorkerGrid1D(global);
        grid.setLocalWork(local, 1, 1);
        scheduler.addWorkerGrid(graph + "." + task, grid);
    }

    /** One work-group of {@code local} per token. */
    private void rows(String graph, String task, int local) {
        rows(graph, task, local, local);
    }

    private void rows(String graph, String task, int perToken, int local) {
        WorkerGrid grid = new WorkerGrid1D(perToken);
        grid.setLocalWork(local, 1, 1);
        scheduler.addWorkerGrid(graph + "." + task, grid);
        scaled.add(new Scaled(grid, perToken, local));
    }

    /** One work-item per element, {@code perToken} elements per token. */
    private void elementwise(String graph, String task, int perToken) {
        rows(graph, task, perToken, wg.elementwise());
    }
}
