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

    @ParameterizedTest(name = "{0} {1}x{2}, {3} tokens, work-group {4}")
    @CsvSource({
        "F32, 37, 97, 3, 0", "F16, 37, 97, 3, 0", "BF16, 29, 65, 2, 0",
        "Q8_0, 37, 96, 3, 0", "Q8_0, 5, 320, 1, 1", "Q8_0, 37, 96, 4, 256",
        "Q4_0, 37, 96, 3, 0", "Q4_0, 11, 320, 2, 256", "Q4_0, 3, 32, 1, 1"})
    void matvecMatchesTheReferenceForTheSelectedLayer(GGMLType type, int rows, int cols, int n, int local) {
        int wgSize = local > 0 ? local : TornadoTestSupport.workGroups().matvec();
        List<Tensor> layers = tensors(type, 3, rows, cols, rows * 31L + cols);
        DeviceMatrix w = DeviceMatrix.stack(layers);
        SplittableRandom rnd = new SplittableRandom(n);
        float[] xs = random(rnd, n * cols);
        FloatArray x = array(xs);
        FloatArray y = new FloatArray(n * rows);
        IntArray step = step(0, n, 7 + 1, 0); // layers 7..9 stacked, layer 8 selected
        run((g, ctx) -> w.matvec(g, "t", ctx, x, y, step, 7), rows * wgSize, wgSize,
                new Object[] {w.array(), x, step}, y);
        for (int t = 0; t < n; t++) {
            float[] expected = new float[rows];
            ReferenceOps.matvec(layers.get(1), slice(x, t * cols, cols), expected);
            assertClose(expected, slice(y, t * rows, rows), TOL, type + " token " + t);
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
    void ropeMatchesTheReferenceWithTheModelsBase(int heads, int kvHeads, int headDim, int ropeDims, float base,
                                                  int pos) {
        int n = 3;
        RopeTable table = new RopeTable(pos + n, ropeDims, base);
        SplittableRandom rnd = new SplittableRandom(pos);
        float[] qs = random(rnd, n * heads * headDim);
        float[] ks = random(rnd, n * kvHeads * headDim);
        FloatArray q = array(qs);
        FloatArray k = array(ks);
        IntArray step = step(pos, n, 0, 0);
        int local = TornadoTestSupport.workGroups().elementwise();
        run((g, ctx) -> g.task("t", TornadoRope::rope, ctx, q, k, table.cos, table.sin, step, heads, kvHeads,
                headDim, table.pairs), n * (heads + kvHeads) * table.pairs, local,
                new Object[] {q, k, table.cos, table.sin, step}, q, k);
        for (int t = 0; t < n; t++) {
            float[] eq = java.util.Arrays.copyOfRange(qs, t * heads * headDim, (t + 1) * heads * headDim);
            float[] ek = java.util.Arrays.copyOfRange(ks, t * kvHeads * headDim, (t + 1) * kvHeads * headDim);
            ReferenceOps.rope(eq, heads, headDim, ropeDims, pos + t, base);
            ReferenceOps.rope(ek, kvHeads, headDim, ropeDims, pos + t, base);
            assertClose(eq, slice(q, t * heads * headDim, heads * headDim), TOL, "q at " + (pos + t));
            assertClose(ek, slice(k, t * kvHeads * headDim, kvHeads * headDim), TOL, "k at " + (pos + t));
        }
    }

    @ParameterizedTest(name = "{0} elements x {1} tokens")
    @CsvSource({"37, 3", "256, 1"})
    void swigluAndResidualAddMatchTheReference(int width, int n) {
        SplittableRandom rnd = new SplittableRandom(width);
        float[] gs = random(rnd, n * width);
        float[] us = random(rnd, n * width);
        FloatArray gate = array(gs);
        FloatArray up = array(us);
        FloatArray x = array(us);
        IntArray step = step(0, n, 0, 0);
        int local = TornadoTestSupport.workGroups().elementwise();
        run((g, ctx) -> g.task("t", TornadoSwiGlu::swiglu, ctx, gate, up, step, width), n * width, local,
                new Object[] {gate, up, step}, gate);
        float[] expected = gs.clone();
        ReferenceOps.swiglu(expected, us);
        assertClose(expected, slice(gate, 0, n * width), TOL, "swiglu");
        run((g, ctx) -> g.task("t", TornadoResidual::residualAdd, ctx, x, gate, step, width), n * width, local,
                new Object[] {x, gate, step}, x);
        for (int i = 0; i < n * width; i++) {
            expected[i] += us[i];
        }
        assertClose(expected, slice(x, 0, n * width), TOL, "residual add");
    }
}
