package dev.gale.backend.tornado;

import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;
import dev.gale.model.Tensor;
import dev.gale.model.Weights;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Consecutive layers run by one task graph: their weights on the device, their norm vectors, and
 * their part of the rolling KV cache. Each weight matrix of the group's layers is stacked in one
 * device array, and matrices that multiply the same input are put one under the other (Wq, Wk, Wv;
 * Wgate, Wup) so that one kernel launch computes them. A group is as many layers as fit the device's
 * largest allocation (and have the same tensor types); small models are one group, so every kernel
 * is compiled once however many layers there are.
 */
final class LayerGroup {
    /** Weight matrices multiplied together, as one device matrix when their types agree. */
    private static final List<Function<Weights.Layer, Tensor>> QKV = List.of(Weights.Layer::attnQ,
            Weights.Layer::attnK, Weights.Layer::attnV);
    private static final List<Function<Weights.Layer, Tensor>> GATE_UP = List.of(Weights.Layer::ffnGate,
            Weights.Layer::ffnUp);
    private static final List<List<Function<Weights.Layer, Tensor>>> FAMILIES = List.of(QKV,
            List.of(Weights.Layer::attnOutput), GATE_UP, List.of(Weights.Layer::ffnDown));

    /** A device matrix and where its rows land in the output row (e.g. Wk after Wq's rows). */
    record Part(DeviceMatrix matrix, int offset) {
    }

    final int first;
    final int count;
    /** Wq, Wk, Wv: one part when fused, else three, writing one row of qDim + 2 kvDim. */
    final List<Part> qkv;
    final DeviceMatrix attnOutput;
    /** Wgate, Wup: one part when fused, else two, writing one row of 2 * hidden. */
    final List<Part> gateUp;
    final DeviceMatrix ffnDown;
    final FloatArray attnNorm;
    final FloatArray ffnNorm;
    final FloatArray keyCache;
    final FloatArray valueCache;

    private LayerGroup(Weights.Layer[] layers, int first, int count, int dim, long cacheFloats) {
        this.first = first;
        this.count = count;
        List<Weights.Layer> mine = List.of(layers).subList(first, first + count);
        qkv = parts(mine, QKV);
        attnOutput = DeviceMatrix.stack(mine.stream().map(Weights.Layer::attnOutput).toList());
        gateUp = parts(mine, GATE_UP);
        ffnDown = DeviceMatrix.stack(mine.stream().map(Weights.Layer::ffnDown).toList());
        attnNorm = norms(mine.stream().map(Weights.Layer::attnNorm).toList(), dim);
        ffnNorm = norms(mine.stream().map(Weights.Layer::ffnNorm).toList(), dim);
        keyCache = new FloatArray(Math.toIntExact(cacheFloats * count));
        valueCache = new FloatArray(Math.toIntExact(cacheFloats * count));
    }

    /** The family as one matrix when its tensors share a type, else one matrix per tensor. */
    private static List<Part> parts(List<Weights.Layer> layers, List<Function<Weights.Layer, Tensor>> family) {
        Weights.Layer l0 = layers.getFirst();
        if (family.stream().map(f -> f.apply(l0).type()).distinct().count() == 1) {
            return List.of(new Part(DeviceMatrix.stackRows(layers.stream()
                    .map(l -> family.stream().map(f -> f.apply(l)).toList()).toList()), 0));
        }
        List<Part> parts = new ArrayList<>();
        int offset = 0;
        for (var f : family) {
            parts.add(new Part(DeviceMatrix.stack(layers.stream().map(f).toList()), offset));
            offset += f.apply(l0).rows();
        }
        return parts;
    }

    /** The graph's name: layer_i for a single layer, layers_i_j for layers i..j. */
    String name() {
        return count == 1 ? "layer_" + first : "layers_" + first + "_" + (first + count - 1);
    }

    List<DeviceMatrix> matrices() {
        List<DeviceMatrix> all = new ArrayList<>();
        qkv.forEach(p -> all.add(p.matrix()));
        all.add(attnOutput);
        gateUp.forEach(p -> all.add(p.matrix()));
        all.add(ffnDown);
        return all;
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
            MemorySegment.copy(vectors.get(i).data(), 0, a.getSegment(), (long) i * dim * Float.BYTES,
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
            for (var family : FAMILIES) {
                for (var f : family) {
                    Tensor t = f.apply(l);
                    if (!DeviceMatrix.TYPES.contains(t.type())) {
                        throw new IllegalArgumentException("tensor '" + t.name() + "' is " + t.type()
                                + "; the TornadoVM backends run " + DeviceMatrix.TYPES + " weights (use --backend cpu)");
                    }
                }
                if (familyBytes(l, family) > maxAllocation) {
                    throw new IllegalArgumentException(String.format("tensor '%s' and its companions (%.2f GB) "
                            + "exceed the device's largest buffer (%.2f GB)", family.getFirst().apply(l).name(),
                            familyBytes(l, family) / 1e9, maxAllocation / 1e9));
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

    private static long familyBytes(Weights.Layer l, List<Function<Weights.Layer, Tensor>> family) {
        long bytes = 0;
        for (var f : family) {
            bytes += f.apply(l).data().byteSize();
        }
        return bytes;
    }

    private static boolean sameTypes(Weights.Layer a, Weights.Layer b) {
        for (var family : FAMILIES) {
            for (var f : family) {
                if (f.apply(a).type() != f.apply(b).type()) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean fits(Weights.Layer[] layers, int first, int count, long cacheBytes, long maxAllocation) {
        if (cacheBytes * count > maxAllocation) {
            return false;
        }
        for (var family : FAMILIES) {
            long bytes = 0;
            for (int i = first; i < first + count; i++) {
                bytes += familyBytes(layers[i], family);
            }
            if (bytes > maxAllocation) {
                return false;
            }
        }
        return true;
    }
}
