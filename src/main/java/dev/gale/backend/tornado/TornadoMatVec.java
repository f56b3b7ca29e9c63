package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * y[t][r] = sum_c W[r][c] * x[t][c] for the n tokens of a chunk: one work-group per weight row
 * r, its work-items splitting the row and adding up in local memory. The weights stay in their GGUF
 * encoding on the device and are decoded inside the kernel. A work-group runs all n tokens through
 * its row, so each row is read from device memory once per chunk (later tokens find it in cache).
 *
 * <p>{@code w} may hold the same tensor of several layers back to back ({@code layerSize} apart,
 * in floats for F32 and bytes otherwise); the row block used is that of layer
 * {@code step[LAYER] - firstLayer}. With {@code layerSize} 0 the one matrix is used whatever the layer.
 */
public final class TornadoMatVec {
    private TornadoMatVec() {
    }

    public static void matvecF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, IntArray step,
                           int rows, int cols, int layerSize, int firstLayer) {
        float[] scratch = ctx.allocateFloatLocalArray(TornadoReduce.MAX_LOCAL);
        int r = ctx.groupIdx;
        int n = step.get(Step.N);
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * cols;
        for (int t = 0; t < n; t++) {
            int xt = t * cols;
            float sum = 0f;
            for (int c = ctx.localIdx; c < cols; c += ctx.localGroupSizeX) {
                sum += w.get(row + c) * x.get(xt + c);
            }
            float total = TornadoReduce.sum(ctx, scratch, sum);
            if (ctx.localIdx == 0) {
                y.set(t * rows + r, total);
            }
        }
    }

    public static void matvecF16(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                           int rows, int cols, int layerSize, int firstLayer) {
        float[] scratch = ctx.allocateFloatLocalArray(TornadoReduce.MAX_LOCAL);
        int r = ctx.groupIdx;
        int n = step.get(Step.N);
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * cols * 2;
        for (int t = 0; t < n; t++) {
            int xt = t * cols;
            float sum = 0f;
            for (int c = ctx.localIdx; c < cols; c += ctx.localGroupSizeX) {
                sum += TornadoFormats.f16(w, row, c) * x.get(xt + c);
            }
            float total = TornadoReduce.sum(ctx, scratch, sum);
            if (ctx.localIdx == 0) {
                y.set(t * rows + r, total);
            }
        }
    }

    public static void matvecBF16(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                            int rows, int cols, int layerSize, int firstLayer) {
        float[] scratch = ctx.allocateFloatLocalArray(TornadoReduce.MAX_LOCAL);
        int r = ctx.groupIdx;
        int n = step.get(Step.N);
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * cols * 2;
        for (int t = 0; t < n; t++) {
            int xt = t * cols;
            float sum = 0f;
            for (int c = ctx.localIdx; c < cols; c += ctx.localGroupSizeX) {
                sum += TornadoFormats.bf16(w, row, c) * x.get(xt + c);
            }
            float total = TornadoReduce.sum(ctx, scratch, sum);
            if (ctx.localIdx == 0) {
                y.set(t * rows + r, total);
            }
        }
    }

    /** Q8_0: each work-item takes whole 32-element blocks, so the scale is decoded once per block. */
    public static void matvecQ8_0(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                            int rows, int cols, int layerSize, int firstLayer) {
        float[] scratch = ctx.allocateFloatLocalArray(TornadoReduce.MAX_LOCAL);
        int r = ctx.groupIdx;
        int n = step.get(Step.N);
        int blocks = cols / TornadoFormats.QK;
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * blocks * TornadoFormats.Q8_0_BYTES;
        for (int t = 0; t < n; t++) {
            int xt = t * cols;
            float sum = 0f;
            for (int b = ctx.localIdx; b < blocks; b += ctx.localGroupSizeX) {
                int block = row + b * TornadoFormats.Q8_0_BYTES;
                int xb = xt + b * TornadoFormats.QK;
                float dot = 0f;
                for (int i = 0; i < TornadoFormats.QK; i++) {
                    dot += w.get(block + 2 + i) * x.get(xb + i);
                }
                sum += TornadoFormats.half(w, block) * dot;
            }
            float total = TornadoReduce.sum(ctx, scratch, sum);
            if (ctx.localIdx == 0) {
                y.set(t * rows + r, total);
            }
        }
    }

    /** Q4_0: byte j of a block holds element j (low nibble) and element j + 16 (high nibble). */
    public static void matvecQ4_0(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                            int rows, int cols, int layerSize, int firstLayer) {
        float[] scratch = ctx.allocateFloatLocalArray(TornadoReduce.MAX_LOCAL);
        int r = ctx.groupIdx;
        int n = step.get(Step.N);
        int blocks = cols / TornadoFormats.QK;
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * blocks * TornadoFormats.Q4_0_BYTES;
        for (int t = 0; t < n; t++) {
            int xt = t * cols;
            float sum = 0f;
            for (int b = ctx.localIdx; b < blocks; b += ctx.localGroupSizeX) {
                int block = row + b * TornadoFormats.Q4_0_BYTES;
                int xb = xt + b * TornadoFormats.QK;
                float dot = 0f;
                for (int j = 0; j < TornadoFormats.QK / 2; j++) {
                    int q = w.get(block + 2 + j);
                    dot += TornadoFormats.low(q) * x.get(xb + j) + TornadoFormats.high(q) * x.get(xb + j + 16);
                }
                sum += TornadoFormats.half(w, block) * dot;
            }
            float total = TornadoReduce.sum(ctx, scratch, sum);
            if (ctx.localIdx == 0) {
                y.set(t * rows + r, total);
            }
        }
    }
}
