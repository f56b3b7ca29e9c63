package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * y[t][r] = sum_c W[r][c] * x[t][c] for the n tokens of a chunk (written at
 * {@code y[t * yStride + yOffset + r]}, or added there when {@code accumulate} is 1, which makes the
 * residual connection part of the product): one work-group per weight row
 * r, its work-items each taking a share of the row, their partial sums added up in local memory.
 * The weights stay in their GGUF encoding on the device and are decoded inside the kernel. A
 * work-group runs all n tokens through its row, so each row is read from device memory once per
 * chunk (later tokens find it in cache).
 *
 * <p>{@code w} may hold the same tensor of several layers back to back ({@code layerSize} apart,
 * in floats for F32 and bytes otherwise); the matrix used is that of layer
 * {@code step[LAYER] - firstLayer}. With {@code layerSize} 0 the one matrix is used whatever the layer.
 *
 * <p>The reduction is written out in each kernel: TornadoVM 5.2 miscompiles a local array passed to
 * a helper method (it indexes it like a Java array, in bytes past a header).
 */
public final class TornadoMatVec {
    private TornadoMatVec() {
    }

    public static void matvecF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, IntArray step,
                                 int rows, int cols, int layerSize, int firstLayer, int yStride, int yOffset,
                                 int accumulate) {
        float[] partial = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int r = ctx.groupIdx;
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * cols;
        for (int t = 0; t < step.get(Step.N); t++) {
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                sum += w.get(row + c) * x.get(t * cols + c);
            }
            partial[lid] = sum;
            ctx.localBarrier();
            for (int s = size / 2; s > 0; s /= 2) {
                if (lid < s) {
                    partial[lid] += partial[lid + s];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                int at = t * yStride + yOffset + r;
                y.set(at, accumulate == 1 ? y.get(at) + partial[0] : partial[0]);
            }
            ctx.localBarrier();
        }
    }

    public static void matvecF16(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                                 int rows, int cols, int layerSize, int firstLayer, int yStride, int yOffset,
                                 int accumulate) {
        float[] partial = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int r = ctx.groupIdx;
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * cols * 2;
        for (int t = 0; t < step.get(Step.N); t++) {
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                sum += TornadoFormats.f16(w, row, c) * x.get(t * cols + c);
            }
            partial[lid] = sum;
            ctx.localBarrier();
            for (int s = size / 2; s > 0; s /= 2) {
                if (lid < s) {
                    partial[lid] += partial[lid + s];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                int at = t * yStride + yOffset + r;
                y.set(at, accumulate == 1 ? y.get(at) + partial[0] : partial[0]);
            }
            ctx.localBarrier();
        }
    }

    public static void matvecBF16(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                                  int rows, int cols, int layerSize, int firstLayer, int yStride, int yOffset,
                                 int accumulate) {
        float[] partial = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int r = ctx.groupIdx;
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * cols * 2;
        for (int t = 0; t < step.get(Step.N); t++) {
            float sum = 0f;
            for (int c = lid; c < cols; c += size) {
                sum += TornadoFormats.bf16(w, row, c) * x.get(t * cols + c);
            }
            partial[lid] = sum;
            ctx.localBarrier();
            for (int s = size / 2; s > 0; s /= 2) {
                if (lid < s) {
                    partial[lid] += partial[lid + s];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                int at = t * yStride + yOffset + r;
                y.set(at, accumulate == 1 ? y.get(at) + partial[0] : partial[0]);
            }
            ctx.localBarrier();
        }
    }

    /** Q8_0: each work-item takes whole 32-element blocks, so it decodes a block's scale once. */
    public static void matvecQ8_0(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                                  int rows, int cols, int layerSize, int firstLayer, int yStride, int yOffset,
                                 int accumulate) {
        float[] partial = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int r = ctx.groupIdx;
        int blocks = cols / TornadoFormats.QK;
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * blocks * TornadoFormats.Q8_0_BYTES;
        for (int t = 0; t < step.get(Step.N); t++) {
            float sum = 0f;
            for (int b = lid; b < blocks; b += size) {
                sum += TornadoFormats.dotQ8_0(w, row + b * TornadoFormats.Q8_0_BYTES, x, t * cols + b * TornadoFormats.QK);
            }
            partial[lid] = sum;
            ctx.localBarrier();
            for (int s = size / 2; s > 0; s /= 2) {
                if (lid < s) {
                    partial[lid] += partial[lid + s];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                int at = t * yStride + yOffset + r;
                y.set(at, accumulate == 1 ? y.get(at) + partial[0] : partial[0]);
            }
            ctx.localBarrier();
        }
    }

    /** Q4_0: each work-item takes whole 32-element blocks, as for Q8_0. */
    public static void matvecQ4_0(KernelContext ctx, ByteArray w, FloatArray x, FloatArray y, IntArray step,
                                  int rows, int cols, int layerSize, int firstLayer, int yStride, int yOffset,
                                 int accumulate) {
        float[] partial = ctx.allocateFloatLocalArray(WorkGroups.MAX_LOCAL);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int r = ctx.groupIdx;
        int blocks = cols / TornadoFormats.QK;
        int row = (step.get(Step.LAYER) - firstLayer) * layerSize + r * blocks * TornadoFormats.Q4_0_BYTES;
        for (int t = 0; t < step.get(Step.N); t++) {
            float sum = 0f;
            for (int b = lid; b < blocks; b += size) {
                sum += TornadoFormats.dotQ4_0(w, row + b * TornadoFormats.Q4_0_BYTES, x, t * cols + b * TornadoFormats.QK);
            }
            partial[lid] = sum;
            ctx.localBarrier();
            for (int s = size / 2; s > 0; s /= 2) {
                if (lid < s) {
                    partial[lid] += partial[lid + s];
                }
                ctx.localBarrier();
            }
            if (lid == 0) {
                int at = t * yStride + yOffset + r;
                y.set(at, accumulate == 1 ? y.get(at) + partial[0] : partial[0]);
            }
            ctx.localBarrier();
        }
    }
}
