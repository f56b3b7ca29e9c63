package dev.gale.gguf;

import java.util.SplittableRandom;

/** Small valid GGUF files for the truncation and fuzz tests. */
final class GGUFSamples {
    private GGUFSamples() {
    }

    /**
     * A file with metadata of every value type (strings, string arrays, nested arrays, a custom
     * alignment) and a few small tensors of several types, about 2 KB.
     */
    static byte[] small() {
        SplittableRandom rnd = new SplittableRandom(7);
        GGUFWriter w = new GGUFWriter();
        w.putString("general.architecture", "llama");
        w.putUInt32("general.alignment", 64);
        w.put("u8", GGUFValue.uint8(200));
        w.put("i8", GGUFValue.int8(-3));
        w.put("u16", GGUFValue.uint16(60000));
        w.put("i16", GGUFValue.int16(-30000));
        w.putUInt32("llama.block_count", 2);
        w.put("i32", GGUFValue.int32(-5));
        w.putFloat32("f32", 1.5f);
        w.putBool("flag", true);
        w.put("u64", GGUFValue.uint64(-1L));
        w.put("i64", GGUFValue.int64(Long.MIN_VALUE));
        w.put("f64", GGUFValue.float64(Math.PI));
        w.putString("empty", "");
        w.putString("unicode", "▁wörld 🙂");
        w.putArray("tokenizer.ggml.tokens", GGUFValueType.STRING, new String[] {"<unk>", "<s>", "</s>", "▁a", ""});
        w.putArray("tokenizer.ggml.scores", GGUFValueType.FLOAT32, new float[] {0, 0, 0, -1, -2});
        w.putArray("tokenizer.ggml.token_type", GGUFValueType.INT32, new int[] {2, 3, 3, 1, 1});
        w.putArray("bools", GGUFValueType.BOOL, new boolean[] {true, false});
        w.putArray("bytes", GGUFValueType.UINT8, new byte[] {1, 2, 3});
        w.putArray("empty.array", GGUFValueType.UINT64, new long[0]);
        w.putArray("nested", GGUFValueType.ARRAY, new GGUFArray[] {
                new GGUFArray(GGUFValueType.INT16, new short[] {1, -1}),
                new GGUFArray(GGUFValueType.STRING, new String[] {"x"}),
                new GGUFArray(GGUFValueType.ARRAY, new GGUFArray[] {new GGUFArray(GGUFValueType.FLOAT64, new double[] {2})})});
        tensor(w, rnd, "token_embd.weight", GGMLType.Q8_0, 32, 3);
        tensor(w, rnd, "blk.0.attn_norm.weight", GGMLType.F32, 8);
        tensor(w, rnd, "blk.0.attn_q.weight", GGMLType.Q4_0, 64, 2);
        tensor(w, rnd, "blk.0.ffn_up.weight", GGMLType.F16, 4, 2, 2);
        tensor(w, rnd, "blk.0.ffn_down.weight", GGMLType.BF16, 2, 2, 2, 2);
        tensor(w, rnd, "output.weight", GGMLType.Q6_K, 256);
        return w.toBytes();
    }

    private static void tensor(GGUFWriter w, SplittableRandom rnd, String name, GGMLType type, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        byte[] data = new byte[(int) type.byteSize(n)];
        rnd.nextBytes(data);
        w.addTensor(name, type, dims, data);
    }
}
