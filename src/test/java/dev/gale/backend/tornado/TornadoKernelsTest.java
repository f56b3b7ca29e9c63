package dev.gale.backend.tornado;

import dev.gale.backend.reference.ReferenceOps;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Tensor;
import dev.gale.quant.Formats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.gale.Floats.assertClose;
import static dev.gale.backend.tornado.TornadoTestSupport.array;
import static dev.gale.backend.tornado.TornadoTestSupport.random;
import static dev.gale.backend.tornado.TornadoTestSupport.run;
import static dev.gale.backend.tornado.TornadoTestSupport.slice;
import static dev.gale.backend.tornado.TornadoTestSupport.step;

/**
 * Each weight-reading kernel on the device against the scalar reference ({@link ReferenceOps}),
 * in the manner of llama.cpp's test-backend-ops: odd sizes, several tokens per call, a layer picked
 * out of stacked weights, and work-group sizes from 1 to 256.
 */
class TornadoKernelsTest {
    private static final double TOL = 1e-5;

    /** Random same-shaped tensors of one type, as a model's layers would have. */
    static List<Tensor> tensors(GGMLType type, int layers, int rows, int cols, long seed) {
        List<Tensor> out = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int l = 0; l < layers; l++) {
            MemorySegment data = Formats.of(type).quantize(random(rnd, rows * cols));
            out.add(new Tensor("blk." + l + ".w", type, rows, cols, data));
        }
        return out;
    }

    /**
     * Each layer's matrix is two tensors one under the other (as Wq, Wk, Wv are fused); the product
     * of layer 8 of layers 7..9 lands in rows of {@code rows + 3} floats at offset 2, added to what is
     * there when accumulating (the residual connection).
     */
    @ParameterizedTest(name = "{0} {1}x{2}, {3} tokens, work-group {4}, accumulate {5}")
    @CsvSource({
        "F32, 37, 97, 3, 0, false", "F16, 37, 97, 3, 0, true", "BF16, 29, 65, 2, 0, false",
        "Q8_0, 37, 96, 3, 0, true", "Q8_0, 5, 320, 1, 1, false", "Q8_0, 37, 96, 4, 256, false",
        "Q4_0, 37, 96, 3, 0, false", "Q4_0, 11, 320, 2, 256, true", "Q4_0, 3, 32, 1, 1, false"})
    void matvecMatchesTheReferenceForTheSelectedLayer(GGMLType type, int rows, int cols, int n, int local,
                                                      boolean accumulate) {
        int wgSize = local > 0 ? local : TornadoTestSupport.workGroups().matvec();
        int top = rows / 2 + 1;
        List<Tensor> upper = tensors(type, 3, top, cols, rows * 31L + cols);
        List<Tensor> lower = tensors(type, 3, rows - top, cols, rows * 37L + cols);
        DeviceMatrix w = DeviceMatrix.stackRows(List.of(List.of(upper.get(0), lower.get(0)),
                List.of(upper.get(1), lower.get(1)), List.of(upper.get(2), lower.get(2))));
        SplittableRandom rnd = new SplittableRandom(n);
        FloatArray x = array(random(rnd, n * cols));
        int stride = rows + 3;
        float[] before = random(rnd, n * stride);
        FloatArray y = array(before);
        IntArray step = step(0, n, 7 + 1, 0); // layers 7..9 stacked, layer 8 selected
        run((g, ctx) -> w.matvec(g, "t", ctx, x, y, step, 7, stride, 2, accumulate), rows * wgSize, wgSize,
                new Object[] {w.array(), x, y, step}, y);
        for (int t = 0; t < n; t++) {
            float[] expected = Arrays.copyOfRange(before, t * stride, (t + 1) * stride);
            float[] product = new float[top];
            ReferenceOps.matvec(upper.get(1), slice(x, t * cols, cols), product);
            float[] rest = new float[rows - top];
            ReferenceOps.matvec(lower.get(1), slice(x, t * cols, cols), rest);
            for (int r = 0; r < rows; r++) {
                float v = r < top ? product[r] : rest[r - top];
                expected[2 + r] = accumulate ? expected[2 + r] + v : v;
            }
            assertClose(expected, slice(y, t * stride, stride), TOL, type + " token " + t);
        }
    }

    @ParameterizedTest(name = "{0} rows of {1}")
    @CsvSource({"F32, 33", "F16, 33", "BF16, 33", "Q8_0, 64", "Q4_0, 96"})
    void embeddingLooksUpDecodedRows(GGMLType type, int dim) {
        Tensor table = tensors(type, 1, 11, dim, dim).getFirst();
        DeviceMatrix m = DeviceMatrix.stack(List.of(table));
        int[] ids = {3, 0, 10, 3};
        IntArray tokens = IntArray.fromArray(ids);
        FloatArray x = new FloatArray(ids.length * dim);
        IntArray step = step(5, ids.length, 0, 0);
        int local = TornadoTestSupport.workGroups().elementwise();
        run((g, ctx) -> m.lookup(g, "t", ctx, tokens, x, step), ids.length * dim, local,
                new Object[] {m.array(), tokens, step}, x);
        for (int t = 0; t < ids.length; t++) {
            assertClose(ReferenceOps.row(table, ids[t]), slice(x, t * dim, dim), 0, type + " token " + t);
        }
    }

    @ParameterizedTest(name = "dim {0}, {1} rows from row {2}, work-group {3}")
    @CsvSource({"97, 3, 1, 0", "256, 1, 0, 256", "5, 2, 0, 1"})
    void rmsnormMatchesTheReference(int dim, int n, int row, int local) {
        int wgSize = local > 0 ? local : TornadoTestSupport.workGroups().rmsnorm();
        SplittableRandom rnd = new SplittableRandom(dim);
        float[] xs = random(rnd, (row + n) * dim);
        float[] weights = random(rnd, 2 * dim); // two layers' norm vectors; the second is used
        FloatArray x = array(xs);
        FloatArray w = array(weights);
        FloatArray out = new FloatArray(n * dim);
        IntArray step = step(0, n, 4, row);
        float eps = 1e-5f;
        run((g, ctx) -> g.task("t", TornadoRmsNorm::rmsnorm, ctx, x, w, out, step, dim, eps, dim, 3), n * wgSize,
                wgSize, new Object[] {x, w, step}, out);
        float[] second = slice(w, dim, dim);
        for (int t = 0; t < n; t++) {
            float[] expected = new float[dim];
            ReferenceOps.rmsnorm(expected, slice(x, (row + t) * dim, dim), second, eps);
            assertClose(expected, slice(out, t * dim, dim), TOL, "row " + t);
        }
    }

    @ParameterizedTest(name = "heads {0}/{1}, head {2}, rope dims {3}, base {4}, pos {5}")
    @CsvSource({"6, 2, 16, 16, 10000, 0", "6, 2, 16, 12, 1000000, 1000", "3, 3, 10, 6, 500000, 31"})
    void ropeTurnsQueriesAndKeysAsTheReferenceWithTheModelsBase(int heads, int kvHeads, int headDim, int ropeDims,
                                                                float base, int pos) {
        int n = 3;
        int q = heads * headDim;
        int kv = kvHeads * headDim;
        int row = q + 2 * kv;
        RopeTable table = new RopeTable(pos + n, ropeDims, base);
        float[] before = random(new SplittableRandom(pos), n * row);
        FloatArray qkv = array(before);
        IntArray step = step(pos, n, 0, 0);
        int local = TornadoTestSupport.workGroups().elementwise();
        run((g, ctx) -> g.task("t", TornadoRope::rope, ctx, qkv, table.cos, table.sin, step, heads, kvHeads,
                headDim, table.pairs), n * (heads + kvHeads) * table.pairs, local,
                new Object[] {qkv, table.cos, table.sin, step}, qkv);
        for (int t = 0; t < n; t++) {
            float[] eq = Arrays.copyOfRange(before, t * row, t * row + q);
            float[] ek = Arrays.copyOfRange(before, t * row + q, t * row + q + kv);
            ReferenceOps.rope(eq, heads, headDim, ropeDims, pos + t, base);
            ReferenceOps.rope(ek, kvHeads, headDim, ropeDims, pos + t, base);
            assertClose(eq, slice(qkv, t * row, q), TOL, "queries at " + (pos + t));
            assertClose(ek, slice(qkv, t * row + q, kv), TOL, "keys at " + (pos + t));
            assertClose(Arrays.copyOfRange(before, t * row + q + kv, (t + 1) * row), slice(qkv, t * row + q + kv, kv),
                    0, "values untouched at " + (pos + t));
        }
    }

    @ParameterizedTest(name = "{0} wide x {1} tokens")
    @CsvSource({"37, 3", "256, 1"})
    void swigluMatchesTheReference(int hidden, int n) {
        float[] both = random(new SplittableRandom(hidden), n * 2 * hidden);
        FloatArray gateUp = array(both);
        FloatArray out = new FloatArray(n * hidden);
        IntArray step = step(0, n, 0, 0);
        int local = TornadoTestSupport.workGroups().elementwise();
        run((g, ctx) -> g.task("t", TornadoSwiGlu::swiglu, ctx, gateUp, out, step, hidden), n * hidden, local,
                new Object[] {gateUp, step}, out);
        for (int t = 0; t < n; t++) {
            float[] gate = Arrays.copyOfRange(both, t * 2 * hidden, t * 2 * hidden + hidden);
            ReferenceOps.swiglu(gate, Arrays.copyOfRange(both, t * 2 * hidden + hidden, (t + 1) * 2 * hidden));
            assertClose(gate, slice(out, t * hidden, hidden), TOL, "token " + t);
        }
    }
}
