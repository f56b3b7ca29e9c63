package dev.gale.backend.tornado;

import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;
import dev.gale.model.Tensor;
import dev.gale.model.Weights;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Consecutive layers run by one task graph: each weight tensor of the group's layers stacked in one
 * device array, their norm vectors, and their part of the rolling KV cache. A group is as many
 * layers as fit the device's largest allocation (and share tensor types); small models are one
 * group, so every kernel is compiled once however many layers there are.
 */
final class LayerGroup {
    /** The per-layer weight matrices, by their GGUF names. */
    private static final List<Function<Weights.Layer, Tensor>> MATRICES = List.of(Weights.Layer::attnQ,
            Weights.Layer::attnK, Weights.Layer::attnV, Weights.Layer::attnOutput, Weights.Layer::ffnGate,
            Weights.Layer::ffnUp, Weights.Layer::ffnDown);

    final int first;
    final int count;
    final DeviceMatrix attnQ;
    final DeviceMatrix attnK;
    final DeviceMatrix attnV;
    final DeviceMatrix attnOutput;
    final DeviceMatrix ffnGate;
    final DeviceMatrix ffnUp;
    final DeviceMatrix ffnDown;
    final FloatArray attnNorm;
    final FloatArray ffnNorm;
    final FloatArray keyCache;
    final FloatArray valueCache;

    private LayerGroup(Weights.Layer[] layers, int first, int count, int dim, long cacheFloats) {
        this.first = first;
        this.count = count;
        List<Weights.Layer> mine = List.of(layers).subList(first, first + count);
        attnQ = DeviceMatrix.stack(mine.stream().map(Weights.Layer::attnQ).toList());
        attnK = DeviceMatrix.stack(mine.stream().map(Weights.Layer::attnK).toList());
        attnV = DeviceMatrix.stack(mine.stream().map(Weights.Layer::attnV).toList());
        attnOutput = DeviceMatrix.stack(mine.stream().map(Weights.Layer::attnOutput).toList());
        ffnGate = DeviceMatrix.stack(mine.stream().map(Weights.Layer::ffnGate).toList());
        ffnUp = DeviceMatrix.stack(mine.stream().map(Weights.Layer::ffnUp).toList());
        ffnDown = DeviceMatrix.stack(mine.stream().map(Weights.Layer::ffnDown).toList());
        attnNorm = norms(mine.stream().map(Weights.Layer::attnNorm).toList(), dim);
        ffnNorm = norms(mine.stream().map(Weights.Layer::ffnNorm).toList(), dim);
        keyCache = new FloatArray(Math.toIntExact(cacheFloats * count));
        valueCache = new FloatArray(Math.toIntExact(cacheFloats * count));
    }

    /** The graph's name: layer_i for a single layer, layers_i_j for layers i..j. */
    String name() {
        return count == 1 ? "layer_" + first : "layers_" + first + "_" + (first + count - 1);
    }

    DeviceMatrix[] matrices() {
        return new DeviceMatrix[] {attnQ, attnK, attnV, attnOutput, ffnGate, ffnUp, ffnDown};
    }

    long deviceBytes() {
        long n = attnNorm.getNumBytesOfSegment() + ffnNorm.getNumBytesOfSegment()
                + keyCache.getNumBytesOfSegment() + valueCache.getNumBytesOfSegment();
        for (DeviceMatrix m : matrices()) {
            n += m.deviceBytes();
        }
        return n;
    }

    private static FloatArray norms(List<Tensor> vectors, int dim) {
        FloatArray a = new FloatArray(vectors.size() * dim);
        for (int i = 0; i < vectors.size(); i++) {
            java.lang.foreign.MemorySegment.copy(vectors.get(i).data(), 0, a.getSegment(), (long) i * dim * Float.BYTES,
                    (long) dim * Float.BYTES);
        }
        return a;
    }

    /**
     * Splits the layers into groups: consecutive layers whose tensors have the same types, as many as
     * keep every stacked array (and the group's KV cache) within {@code maxAllocation} bytes, at most
     * {@code maxLayers} per group.
     */
    static List<LayerGroup> partition(ModelConfig c, Weights w, CacheLayout layout, long maxAllocation,
                                      int maxLayers) {
        Weights.Layer[] layers = w.layers();
        long cacheFloats = (long) layout.slots() * c.kvDim();
        long cacheBytes = cacheFloats * Float.BYTES;
        if (cacheBytes > maxAllocation) {
            throw new IllegalArgumentException(String.format("one layer's KV cache (%d positions, %.2f GB) exceeds "
                    + "the device's largest buffer (%.2f GB); use a smaller --ctx-size", layout.slots(),
                    cacheBytes / 1e9, maxAllocation / 1e9));
        }
        for (Weights.Layer l : layers) {
            for (var m : MATRICES) {
                Tensor t = m.apply(l);
                if (!DeviceMatrix.TYPES.contains(t.type())) {
                    throw new IllegalArgumentException("tensor '" + t.name() + "' is " + t.type()
                            + "; the TornadoVM backends run " + DeviceMatrix.TYPES + " weights (use --backend cpu)");
                }
                if (t.data().byteSize() > maxAllocation) {
                    throw new IllegalArgumentException(String.format("tensor '%s' (%.2f GB) exceeds the device's "
                            + "largest buffer (%.2f GB)", t.name(), t.data().byteSize() / 1e9, maxAllocation / 1e9));
                }
            }
        }
        List<LayerGroup> groups = new ArrayList<>();
        int first = 0;
        while (first < layers.length) {
            int count = 1;
            while (first + count < layers.length && count < maxLayers
                    && sameTypes(layers[first], layers[first + count])
                    && fits(layers, first, count + 1, cacheBytes, maxAllocation)) {
                count++;
            }
            groups.add(new LayerGroup(layers, first, count, c.embeddingLength(), cacheFloats));
            first += count;
        }
        return groups;
    }

    private static boolean sameTypes(Weights.Layer a, Weights.Layer b) {
        for (var m : MATRICES) {
            if (m.apply(a).type() != m.apply(b).type()) {
                return false;
            }
        }
        return true;
    }

    private static boolean fits(Weights.Layer[] layers, int first, int count, long cacheBytes, long maxAllocation) {
        if (cacheBytes * count > maxAllocation) {
            return false;
        }
        for (var m : MATRICES) {
            long bytes = 0;
            for (int i = first; i < first + count; i++) {
                bytes += m.apply(layers[i]).data().byteSize();
            }
            if (bytes > maxAllocation) {
                return false;
            }
        }
        return true;
    }
}
