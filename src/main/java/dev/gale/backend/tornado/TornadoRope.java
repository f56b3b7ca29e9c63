package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Rotary position embedding of the chunk's queries and keys, GGUF's adjacent-pair layout: in each
 * head the pair (2i, 2i+1) at position p turns by the angle p * base^(-2i / ropeDims). The angles'
 * cosines and sines come from a table the host computes once from the model's rope.freq_base
 * ({@link RopeTable}), so the kernel holds no model constant. One work-item per pair.
 *
 * <p>{@code qkv} holds each token's row of queries, keys and values (see {@link ForwardGraphs}); the
 * query heads and then the key heads are rotated.
 */
public final class TornadoRope {
    private TornadoRope() {
    }

    /**
     * @param pairs ropeDims / 2: pairs turned per head (the rest of the head is left alone); also the
     *              row length of the cos/sin tables
     */
    public static void rope(KernelContext ctx, FloatArray qkv, FloatArray cos, FloatArray sin, IntArray step,
                            int heads, int kvHeads, int headDim, int pairs) {
        int i = ctx.globalIdx;
        int perToken = (heads + kvHeads) * pairs;
        if (i < step.get(Step.N) * perToken) {
            int t = i / perToken;
            int head = (i % perToken) / pairs; // query heads, then key heads: adjacent in the row
            int pair = i % pairs;
            int angle = (step.get(Step.POS) + t) * pairs + pair;
            float c = cos.get(angle);
            float s = sin.get(angle);
            int a = t * (heads + 2 * kvHeads) * headDim + head * headDim + 2 * pair;
            float x0 = qkv.get(a);
            float x1 = qkv.get(a + 1);
            qkv.set(a, x0 * c - x1 * s);
            qkv.set(a + 1, x0 * s + x1 * c);
        }
    }
}
