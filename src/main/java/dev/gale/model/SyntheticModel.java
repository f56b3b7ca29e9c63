package dev.gale.model;

import dev.gale.gguf.GGMLType;
import dev.gale.gguf.GGUFValueType;
import dev.gale.gguf.GGUFWriter;
import dev.gale.quant.Formats;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Writes Mistral-shaped GGUF models with random weights, laid out exactly as llama.cpp's converter
 * lays out real ones (architecture {@code llama}, GGML tensor names and shapes, a SentencePiece
 * vocabulary). Tests, benchmarks and {@code gale make-model} use it.
 *
 * @param type           type of the weight matrices (and of the token embedding)
 * @param outputType     type of {@code output.weight}; null ties it to the token embedding
 * @param slidingWindow  written as {@code llama.attention.sliding_window} when &gt; 0
 * @param sensitiveType  type of {@code attn_v} and {@code ffn_down}, the matrices llama.cpp's
 *                       {@code _M} mixes (Q4_K_M, Q5_K_M) give more bits; null: {@code type}
 */
public record SyntheticModel(
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int hidden,
        int vocab,
        int context,
        int slidingWindow,
        float ropeBase,
        GGMLType type,
        GGMLType outputType,
        long seed,
        GGMLType sensitiveType) {

    /** A model with one type for every matrix but (perhaps) the output. */
    public SyntheticModel(int dim, int layers, int heads, int kvHeads, int hidden, int vocab, int context,
            int slidingWindow, float ropeBase, GGMLType type, GGMLType outputType, long seed) {
        this(dim, layers, heads, kvHeads, hidden, vocab, context, slidingWindow, ropeBase, type, outputType, seed,
                null);
    }

    /** A small model: 2 layers, 6 query heads sharing 2 KV heads, head size 16. */
    public static SyntheticModel tiny(GGMLType type) {
        return new SyntheticModel(96, 2, 6, 2, 256, 512, 512, 0, 10000f, type, type, 42);
    }

    /**
     * A small model whose matrix rows are multiples of 256, as the K-quant types need: 2 layers,
     * dim 256, hidden 512, 8 query heads sharing 2 KV heads, head size 32.
     */
    public static SyntheticModel tinyK(GGMLType type) {
        return new SyntheticModel(256, 2, 8, 2, 512, 512, 512, 0, 10000f, type, type, 42);
    }

    /** The shape of Mistral 7B (4096 wide, 32 layers, 32/8 heads, 14336 hidden, 32000 tokens). */
    public static SyntheticModel mistral7B(GGMLType type) {
        return new SyntheticModel(4096, 32, 32, 8, 14336, 32000, 32768, 0, 1_000_000f, type, type, 7);
    }

    public SyntheticModel withLayers(int n) {
        return new SyntheticModel(dim, n, heads, kvHeads, hidden, vocab, context, slidingWindow, ropeBase, type,
                outputType, seed, sensitiveType);
    }

    public SyntheticModel withSlidingWindow(int w) {
        return new SyntheticModel(dim, layers, heads, kvHeads, hidden, vocab, context, w, ropeBase, type, outputType,
                seed, sensitiveType);
    }

    public SyntheticModel withContext(int n) {
        return new SyntheticModel(dim, layers, heads, kvHeads, hidden, vocab, n, slidingWindow, ropeBase, type,
                outputType, seed, sensitiveType);
    }

    public SyntheticModel withSeed(long s) {
        return new SyntheticModel(dim, layers, heads, kvHeads, hidden, vocab, context, slidingWindow, ropeBase, type,
                outputType, s, sensitiveType);
    }

    public SyntheticModel withOutputType(GGMLType t) {
        return new SyntheticModel(dim, layers, heads, kvHeads, hidden, vocab, context, slidingWindow, ropeBase, type,
                t, seed, sensitiveType);
    }

    /**
     * A llama.cpp-style mix: every matrix {@code base} except {@code attn_v}, {@code ffn_down} and
     * (unless tied) {@code output}, which get {@code moreBits}. Q4_K_M is (Q4_K, Q6_K), Q5_K_M
     * (Q5_K, Q6_K); llama.cpp raises attn_v and ffn_down in only some layers, here in all.
     */
    public SyntheticModel withMix(GGMLType base, GGMLType moreBits) {
        return new SyntheticModel(dim, layers, heads, kvHeads, hidden, vocab, context, slidingWindow, ropeBase, base,
                outputType == null ? null : moreBits, seed, moreBits);
    }

    public void write(Path path) throws IOException {
        writer().write(path);
    }

    /** A writer holding this model's metadata and (lazily made) tensors. */
    public GGUFWriter writer() {
        validate();
        GGUFWriter w = new GGUFWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.name", "synthetic-" + dim + "x" + layers + "-" + type);
        w.putUInt32("llama.block_count", layers);
        w.putUInt32("llama.context_length", context);
        w.putUInt32("llama.embedding_length", dim);
        w.putUInt32("llama.feed_forward_length", hidden);
        w.putUInt32("llama.attention.head_count", heads);
        w.putUInt32("llama.attention.head_count_kv", kvHeads);
        w.putFloat32("llama.rope.freq_base", ropeBase);
        w.putUInt32("llama.rope.dimension_count", dim / heads);
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        if (slidingWindow > 0) {
            w.putUInt32("llama.attention.sliding_window", slidingWindow);
        }
        Vocab v = vocabulary(vocab);
        w.putString("tokenizer.ggml.model", "llama");
        w.putArray("tokenizer.ggml.tokens", GGUFValueType.STRING, v.tokens);
        w.putArray("tokenizer.ggml.scores", GGUFValueType.FLOAT32, v.scores);
        w.putArray("tokenizer.ggml.token_type", GGUFValueType.INT32, v.types);
        w.putUInt32("tokenizer.ggml.bos_token_id", 1);
        w.putUInt32("tokenizer.ggml.eos_token_id", 2);
        w.putUInt32("tokenizer.ggml.unknown_token_id", 0);
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_eos_token", false);

        int headDim = dim / heads;
        float embScale = 1f;
        matrix(w, "token_embd.weight", type, vocab, dim, embScale);
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            norm(w, b + "attn_norm.weight");
            matrix(w, b + "attn_q.weight", type, heads * headDim, dim, 1f);
            matrix(w, b + "attn_k.weight", type, kvHeads * headDim, dim, 1f);
            matrix(w, b + "attn_v.weight", sensitive(), kvHeads * headDim, dim, 1f);
            matrix(w, b + "attn_output.weight", type, dim, heads * headDim, 1f);
            norm(w, b + "ffn_norm.weight");
            matrix(w, b + "ffn_gate.weight", type, hidden, dim, 1f);
            matrix(w, b + "ffn_down.weight", sensitive(), dim, hidden, 1f);
            matrix(w, b + "ffn_up.weight", type, hidden, dim, 1f);
        }
        norm(w, "output_norm.weight");
        if (outputType != null) {
            matrix(w, "output.weight", outputType, vocab, dim, 1f);
        }
        return w;
    }

    private GGMLType sensitive() {
        return sensitiveType != null ? sensitiveType : type;
    }

    /**
     * Checks that every type is one Gale supports and every matrix row (dim, hidden, heads * head
     * size elements) a whole number of its blocks.
     *
     * @throws IllegalArgumentException naming the type and the shape when not
     */
    public void validate() {
        int[] rowLengths = {dim, hidden, heads * (dim / heads)};
        for (GGMLType t : new GGMLType[] {type, outputType, sensitiveType}) {
            if (t == null) {
                continue;
            }
            Formats.of(t);
            for (int n : rowLengths) {
                if (n % t.blockSize != 0) {
                    throw new IllegalArgumentException(t + " needs matrix rows of a multiple of " + t.blockSize
                            + " elements, but this shape has dim " + dim + " and hidden " + hidden);
                }
            }
        }
    }

    /** Random rows of standard deviation gain / sqrt(cols), quantized to {@code t}. */
    private void matrix(GGUFWriter w, String name, GGMLType t, int rows, int cols, float gain) {
        long tensorSeed = seed * 1_000_003L + name.hashCode();
        w.addTensor(name, t, new long[] {cols, rows}, () -> {
            long rowBytes = t.byteSize(cols);
            MemorySegment data = Arena.ofAuto().allocate(rowBytes * rows, 64);
            float amplitude = (float) (gain * Math.sqrt(3.0 / cols)); // uniform with that deviation
            IntStream.range(0, rows).parallel().forEach(r -> {
                SplittableRandom rnd = new SplittableRandom(tensorSeed + r);
                float[] row = new float[cols];
                for (int c = 0; c < cols; c++) {
                    row[c] = (float) ((rnd.nextDouble() * 2 - 1) * amplitude);
                }
                Formats.of(t).quantize(row, 0, cols, data, r * rowBytes);
            });
            return data;
        });
    }

    private void norm(GGUFWriter w, String name) {
        SplittableRandom rnd = new SplittableRandom(seed * 31 + name.hashCode());
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (1.0 + 0.1 * (rnd.nextDouble() * 2 - 1));
        }
        w.addTensor(name, GGMLType.F32, new long[] {dim}, Formats.of(GGMLType.F32).quantize(v));
    }

    private record Vocab(String[] tokens, float[] scores, int[] types) {
    }

    /**
     * A Mistral-like SentencePiece vocabulary: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the control tokens
     * [INST] and [/INST], the 256 byte tokens, then pieces made of "▁" and letters, shortest first, so
     * that every piece's prefixes are pieces too and BPE merges can reach it.
     */
    static Vocab vocabulary(int size) {
        List<String> pieces = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        pieces.add("<unk>");
        types.add(Vocabulary.UNKNOWN);
        pieces.add("<s>");
        types.add(Vocabulary.CONTROL);
        pieces.add("</s>");
        types.add(Vocabulary.CONTROL);
        pieces.add("[INST]");
        types.add(Vocabulary.CONTROL);
        pieces.add("[/INST]");
        types.add(Vocabulary.CONTROL);
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
            types.add(Vocabulary.BYTE);
        }
        String letters = "etaoinshrdlucmfwypvbgkjqxz";
        List<String> normal = new ArrayList<>();
        normal.add("▁");
        for (char ch : (letters + letters.toUpperCase() + "0123456789.,!?;:'\"-()[]/").toCharArray()) {
            normal.add(String.valueOf(ch));
        }
        List<String> level = new ArrayList<>();
        for (char ch : letters.toCharArray()) {
            level.add("▁" + ch);
        }
        while (pieces.size() + normal.size() < size && !level.isEmpty()) {
            List<String> nextLevel = new ArrayList<>();
            for (String p : level) {
                normal.add(p);
                for (char ch : letters.toCharArray()) {
                    nextLevel.add(p + ch);
                }
                if (pieces.size() + normal.size() >= size) {
                    break;
                }
            }
            level = nextLevel;
        }
        if (size < pieces.size() + 1) {
            throw new IllegalArgumentException("vocabulary size " + size + " is below the " + (pieces.size() + 1)
                    + " special, byte and space tokens");
        }
        int n = size;
        String[] tok = new String[n];
        float[] scores = new float[n];
        int[] ty = new int[n];
        for (int i = 0; i < n; i++) {
            if (i < pieces.size()) {
                tok[i] = pieces.get(i);
                ty[i] = types.get(i);
            } else {
                tok[i] = normal.get(i - pieces.size());
                ty[i] = Vocabulary.NORMAL;
                scores[i] = -(i - pieces.size());
            }
        }
        return new Vocab(tok, scores, ty);
    }
}
