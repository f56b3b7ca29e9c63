package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Token embedding lookup: x[t] = row tokens[t] of the embedding table, decoded on the device from
 * its GGUF encoding. One work-item per output element.
 */
public final class TornadoEmbedding {
    private TornadoEmbedding() {
    }

    public static void embedF32(KernelContext ctx, FloatArray table, IntArray tokens, FloatArray x, IntArray step,
                           int dim) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * dim) {
            x.set(i, table.get(tokens.get(i / dim) * dim + i % dim));
        }
    }

    public static void embedF16(KernelContext ctx, ByteArray table, IntArray tokens, FloatArray x, IntArray step,
                           int dim) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * dim) {
            x.set(i, TornadoFormats.f16(table, tokens.get(i / dim) * dim * 2, i % dim));
        }
    }

    public static void embedBF16(KernelContext ctx, ByteArray table, IntArray tokens, FloatArray x, IntArray step,
                            int dim) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * dim) {
            x.set(i, TornadoFormats.bf16(table, tokens.get(i / dim) * dim * 2, i % dim));
        }
    }

    public static void embedQ8_0(KernelContext ctx, ByteArray table, IntArray tokens, FloatArray x, IntArray step,
                            int dim) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * dim) {
            int rowBytes = dim / TornadoFormats.QK * TornadoFormats.Q8_0_BYTES;
            x.set(i, TornadoFormats.q8_0(table, tokens.get(i / dim) * rowBytes, i % dim));
        }
    }

    public static void embedQ4_0(KernelContext ctx, ByteArray table, IntArray tokens, FloatArray x, IntArray step,
                            int dim) {
        int i = ctx.globalIdx;
        if (i < step.get(Step.N) * dim) {
            int rowBytes = dim / TornadoFormats.QK * TornadoFormats.Q4_0_BYTES;
            x.set(i, TornadoFormats.q4_0(table, tokens.get(i / dim) * rowBytes, i % dim));
        }
    }
}
