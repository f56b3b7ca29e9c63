package dev.gale.model;

import dev.gale.gguf.GGUFException;
import dev.gale.gguf.GGUFFile;

/**
 * The hyper-parameters of a Mistral/Llama-architecture model, from a GGUF file's
 * {@code <arch>.*} metadata.
 *
 * @param slidingWindow attention window W from {@code <arch>.attention.sliding_window}, 0 = full attention
 */
public record ModelConfig(
        String architecture,
        String name,
        int blockCount,
        int contextLength,
        int embeddingLength,
        int feedForwardLength,
        int headCount,
        int headCountKv,
        int headDim,
        float ropeFreqBase,
        int ropeDimensionCount,
        float rmsEps,
        int slidingWindow,
        int vocabSize) {

    public static final int MAX_DIM = 1 << 20;

    public ModelConfig {
        if (headCount % headCountKv != 0) {
            throw new IllegalArgumentException("attention.head_count " + headCount
                    + " is not a multiple of attention.head_count_kv " + headCountKv);
        }
        if (ropeDimensionCount % 2 != 0 || ropeDimensionCount > headDim) {
            throw new IllegalArgumentException("rope.dimension_count " + ropeDimensionCount
                    + " must be even and at most the head size " + headDim);
        }
    }

    /** Reads the config. {@code vocabSize} comes from the tokenizer's token list. */
    public static ModelConfig from(GGUFFile f, int vocabSize) throws GGUFException {
        String arch = f.getString("general.architecture");
        if (!arch.equals("llama") && !arch.equals("mistral")) {
            throw f.error("general.architecture", "architecture '" + arch
                    + "' is not supported: Gale runs Mistral/Llama-architecture models ('llama')");
        }
        String p = arch + ".";
        int dim = f.getInt(p + "embedding_length", 1, MAX_DIM);
        int heads = f.getInt(p + "attention.head_count", 1, 4096);
        int kvHeads = f.getInt(p + "attention.head_count_kv", 1, heads, heads);
        if (heads % kvHeads != 0) {
            throw f.error(p + "attention.head_count_kv", "head_count " + heads + " is not a multiple of head_count_kv "
                    + kvHeads);
        }
        int defaultHeadDim = dim % heads == 0 ? dim / heads : 0;
        int keyLength = f.getInt(p + "attention.key_length", 1, MAX_DIM, defaultHeadDim);
        int valueLength = f.getInt(p + "attention.value_length", 1, MAX_DIM, keyLength);
        if (keyLength == 0) {
            throw f.error(p + "embedding_length", "embedding_length " + dim + " is not a multiple of head_count " + heads
                    + " and attention.key_length is missing");
        }
        if (valueLength != keyLength) {
            throw f.error(p + "attention.value_length", "value_length " + valueLength + " differs from key_length "
                    + keyLength + "; Gale needs them equal");
        }
        int ropeDims = f.getInt(p + "rope.dimension_count", 2, keyLength, keyLength);
        if (ropeDims % 2 != 0) {
            throw f.error(p + "rope.dimension_count", "must be even, found " + ropeDims);
        }
        float ropeBase = f.getFloat(p + "rope.freq_base", 10000f);
        if (!(ropeBase > 1f) || Float.isInfinite(ropeBase)) {
            throw f.error(p + "rope.freq_base", "must be a finite number above 1, found " + ropeBase);
        }
        float eps = f.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        if (!(eps > 0f) || eps > 1f) {
            throw f.error(p + "attention.layer_norm_rms_epsilon", "must be in (0, 1], found " + eps);
        }
        int window = f.getInt(p + "attention.sliding_window", 0, Integer.MAX_VALUE, 0);
        return new ModelConfig(arch,
                f.getString("general.name", f.path().getFileName().toString()),
                f.getInt(p + "block_count", 1, 4096),
                f.getInt(p + "context_length", 1, Integer.MAX_VALUE),
                dim,
                f.getInt(p + "feed_forward_length", 1, MAX_DIM * 8),
                heads,
                kvHeads,
                keyLength,
                ropeBase,
                ropeDims,
                eps,
                window,
                vocabSize);
    }

    /** A copy with another sliding window (0 = full attention). */
    public ModelConfig withSlidingWindow(int window) {
        if (window < 0) {
            throw new IllegalArgumentException("sliding window must be >= 0, found " + window);
        }
        return new ModelConfig(architecture, name, blockCount, contextLength, embeddingLength, feedForwardLength,
                headCount, headCountKv, headDim, ropeFreqBase, ropeDimensionCount, rmsEps, window, vocabSize);
    }

    /** Width of all query heads together. */
    public int qDim() {
        return headCount * headDim;
    }

    /** Width of all key (or value) heads together. */
    public int kvDim() {
        return headCountKv * headDim;
    }

    /** Query heads per KV head: query head h reads KV head h / groupSize(). */
    public int groupSize() {
        return headCount / headCountKv;
    }
}
