package dev.gale.backend.tornado;

import dev.gale.gguf.GGMLType;
import dev.gale.model.Tensor;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A weight matrix as the device holds it, copied once into a TornadoVM array in its GGUF encoding
 * (F32 as a FloatArray, the other types as a ByteArray the kernels decode). It may hold the same
 * tensor of several layers back to back, and each layer's matrix may be several tensors of the same
 * width one under the other (Wq, Wk and Wv as one matrix, so one kernel launch computes all three).
 * It adds the matching kernel to a task graph.
 */
final class DeviceMatrix {
    /** Types the TornadoVM kernels decode. */
    static final List<GGMLType> TYPES = List.of(GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0,
            GGMLType.Q4_0);

    final String name;
    final GGMLType type;
    final int rows;
    final int cols;
    /** Distance between consecutive layers' matrices: floats for F32, bytes otherwise; 0 for one layer. */
    final int layerSize;
    private final FloatArray floats;
    private final ByteArray bytes;

    private DeviceMatrix(String name, GGMLType type, int rows, int cols, int layerSize, FloatArray floats,
                         ByteArray bytes) {
        this.name = name;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.layerSize = layerSize;
        this.floats = floats;
        this.bytes = bytes;
    }

    /** One tensor per layer, stacked. */
    static DeviceMatrix stack(List<Tensor> layers) {
        return stackRows(layers.stream().map(List::of).toList());
    }

    /**
     * {@code layers.get(l)} are layer l's tensors, to be put one under the other; every layer has the
     * same tensors (types and shapes), and all have the same type and width.
     */
    static DeviceMatrix stackRows(List<List<Tensor>> layers) {
        List<Tensor> first = layers.getFirst();
        Tensor t0 = first.getFirst();
        int rows = 0;
        long layerBytes = 0;
        for (Tensor t : first) {
            rows += t.rows();
            layerBytes += t.data().byteSize();
        }
        for (List<Tensor> layer : layers) {
            for (int i = 0; i < first.size(); i++) {
                Tensor t = layer.get(i);
                Tensor f = first.get(i);
                if (t.type() != t0.type() || t.cols() != t0.cols() || t.rows() != f.rows()) {
                    throw new IllegalArgumentException(t + " cannot be stacked with " + f);
                }
            }
        }
        String name = String.join("+", first.stream().map(Tensor::name).toList())
                + (layers.size() == 1 ? "" : " (x" + layers.size() + " layers)");
        int stride = layers.size() == 1 ? 0 : Math.toIntExact(t0.type() == GGMLType.F32 ? layerBytes / 4 : layerBytes);
        if (t0.type() == GGMLType.F32) {
            FloatArray a = new FloatArray(Math.toIntExact(layerBytes / Float.BYTES * layers.size()));
            copy(layers, a.getSegment());
            return new DeviceMatrix(name, t0.type(), rows, t0.cols(), stride, a, null);
        }
        ByteArray a = new ByteArray(Math.toIntExact(layerBytes * layers.size()));
        copy(layers, a.getSegment());
        return new DeviceMatrix(name, t0.type(), rows, t0.cols(), stride, null, a);
    }

    private static void copy(List<List<Tensor>> layers, MemorySegment to) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("the TornadoVM backends need a little-endian host (GGUF is little-endian)");
        }
        long at = 0;
        for (List<Tensor> layer : layers) {
            for (Tensor t : layer) {
                MemorySegment.copy(t.data(), 0, to, at, t.data().byteSize());
                at += t.data().byteSize();
            }
        }
    }

    /** The TornadoVM array to transfer. */
    Object array() {
        return floats != null ? floats : bytes;
    }

    long deviceBytes() {
        return floats != null ? floats.getNumBytesOfSegment() : bytes.getNumBytesOfSegment();
    }

    /**
     * Adds y[t * yStride + yOffset + r] (+)= (W x[t])[r] for the chunk's tokens, W being the matrix of
     * layer step[LAYER] - firstLayer; with {@code accumulate} the product is added to y (a residual
     * connection), else it replaces it.
     */
    void matvec(TaskGraph g, String task, KernelContext ctx, FloatArray x, FloatArray y, IntArray step,
                int firstLayer, int yStride, int yOffset, boolean accumulate) {
        int acc = accumulate ? 1 : 0;
        switch (type) {
            case F32 -> g.task(task, TornadoMatVec::matvecF32, ctx, floats, x, y, step, rows, cols, layerSize,
                    firstLayer, yStride, yOffset, acc);
            case F16 -> g.task(task, TornadoMatVec::matvecF16, ctx, bytes, x, y, step, rows, cols, layerSize,
                    firstLayer, yStride, yOffset, acc);
            case BF16 -> g.task(task, TornadoMatVec::matvecBF16, ctx, bytes, x, y, step, rows, cols, layerSize,
                    firstLayer, yStride, yOffset, acc);
            case Q8_0 -> g.task(task, TornadoMatVec::matvecQ8_0, ctx, bytes, x, y, step, rows, cols, layerSize,
                    firstLayer, yStride, yOffset, acc);
            case Q4_0 -> g.task(task, TornadoMatVec::matvecQ4_0, ctx, bytes, x, y, step, rows, cols, layerSize,
                    firstLayer, yStride, yOffset, acc);
            default -> throw unsupported();
        }
    }

    /** Adds x[t] = row tokens[t] (this matrix being the token embedding). */
    void lookup(TaskGraph g, String task, KernelContext ctx, IntArray tokens, FloatArray x, IntArray step) {
        switch (type) {
            case F32 -> g.task(task, TornadoEmbedding::embedF32, ctx, floats, tokens, x, step, cols);
            case F16 -> g.task(task, TornadoEmbedding::embedF16, ctx, bytes, tokens, x, step, cols);
            case BF16 -> g.task(task, TornadoEmbedding::embedBF16, ctx, bytes, tokens, x, step, cols);
            case Q8_0 -> g.task(task, TornadoEmbedding::embedQ8_0, ctx, bytes, tokens, x, step, cols);
            case Q4_0 -> g.task(task, TornadoEmbedding::embedQ4_0, ctx, bytes, tokens, x, step, cols);
            default -> throw unsupported();
        }
    }

    private IllegalArgumentException unsupported() {
        return new IllegalArgumentException("tensor '" + name + "' is " + type + "; the TornadoVM backends run "
                + TYPES + " weights (use --backend cpu)");
    }

    @Override
    public String toString() {
        return name + " " + type + " " + rows + "x" + cols;
    }
}
