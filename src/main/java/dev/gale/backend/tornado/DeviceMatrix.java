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
 * A weight matrix as the device holds it: the GGUF bytes of one tensor, or of the same tensor of
 * several layers back to back, copied once into a TornadoVM array (F32 as a FloatArray, the other
 * types as a ByteArray that the kernels decode). It adds the matching kernel to a task graph.
 */
final class DeviceMatrix {
    /** Types the TornadoVM kernels decode. */
    static final List<GGMLType> TYPES = List.of(GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0,
            GGMLType.Q4_0);

    final String name;
    final GGMLType type;
    final int rows;
    final int cols;
    /** Distance between consecutive layers' matrices: floats for F32, bytes otherwise. */
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

    /** Bytes the tensors take on the device. */
    static long bytes(List<Tensor> tensors) {
        long n = 0;
        for (Tensor t : tensors) {
            n += t.data().byteSize();
        }
        return n;
    }

    /** Copies same-shaped, same-typed tensors (one per layer, in order) into one device array. */
    static DeviceMatrix stack(List<Tensor> tensors) {
        Tensor first = tensors.getFirst();
        long layerBytes = first.data().byteSize();
        for (Tensor t : tensors) {
            if (t.type() != first.type() || t.rows() != first.rows() || t.cols() != first.cols()) {
                throw new IllegalArgumentException(t + " cannot be stacked with " + first);
            }
        }
        String name = tensors.size() == 1 ? first.name() : first.name() + " (x" + tensors.size() + ")";
        if (first.type() == GGMLType.F32) {
            FloatArray a = new FloatArray(Math.toIntExact(layerBytes / Float.BYTES * tensors.size()));
            copy(tensors, a.getSegment(), layerBytes);
            return new DeviceMatrix(name, first.type(), first.rows(), first.cols(),
                    tensors.size() == 1 ? 0 : (int) (layerBytes / Float.BYTES), a, null);
        }
        ByteArray a = new ByteArray(Math.toIntExact(layerBytes * tensors.size()));
        copy(tensors, a.getSegment(), layerBytes);
        return new DeviceMatrix(name, first.type(), first.rows(), first.cols(),
                tensors.size() == 1 ? 0 : (int) layerBytes, null, a);
    }

    private static void copy(List<Tensor> tensors, MemorySegment to, long layerBytes) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("the TornadoVM backends need a little-endian host (GGUF is little-endian)");
        }
        for (int i = 0; i < tensors.size(); i++) {
            MemorySegment.copy(tensors.get(i).data(), 0, to, i * layerBytes, layerBytes);
        }
    }

    /** The TornadoVM array to transfer. */
    Object array() {
        return floats != null ? floats : bytes;
    }

    long deviceBytes() {
        return floats != null ? floats.getNumBytesOfSegment() : bytes.getNumBytesOfSegment();
    }

    /** Adds y[t] = W x[t] for the chunk's tokens (matrix of layer step[LAYER] - firstLayer). */
    void matvec(TaskGraph g, String task, KernelContext ctx, FloatArray x, FloatArray y, IntArray step,
                int firstLayer) {
        switch (type) {
            case F32 -> g.task(task, TornadoMatVec::matvecF32, ctx, floats, x, y, step, rows, cols, layerSize, firstLayer);
            case F16 -> g.task(task, TornadoMatVec::matvecF16, ctx, bytes, x, y, step, rows, cols, layerSize, firstLayer);
            case BF16 -> g.task(task, TornadoMatVec::matvecBF16, ctx, bytes, x, y, step, rows, cols, layerSize, firstLayer);
            case Q8_0 -> g.task(task, TornadoMatVec::matvecQ8_0, ctx, bytes, x, y, step, rows, cols, layerSize, firstLayer);
            case Q4_0 -> g.task(task, TornadoMatVec::matvecQ4_0, ctx, bytes, x, y, step, rows, cols, layerSize, firstLayer);
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
