package dev.gale.model;

import dev.gale.gguf.GGUFArray;
import dev.gale.gguf.GGUFException;
import dev.gale.gguf.GGUFFile;
import dev.gale.gguf.GGUFValueType;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A SentencePiece vocabulary as GGUF stores it under {@code tokenizer.ggml.*}.
 *
 * @param tokens         the piece of every token id ("▁" stands for a space, "&lt;0x0A&gt;" for a byte)
 * @param scores         merge priorities: higher merges first
 * @param types          token types: {@link #NORMAL}, {@link #UNKNOWN}, {@link #CONTROL}, ...
 * @param addSpacePrefix whether encoding prepends a space to the text (SentencePiece's default)
 */
public record Vocabulary(
        String model,
        String[] tokens,
        float[] scores,
        int[] types,
        int bos,
        int eos,
        int unk,
        boolean addBos,
        boolean addEos,
        boolean addSpacePrefix) {

    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    public int size() {
        return tokens.length;
    }

    public String piece(int id) {
        return tokens[id];
    }

    public int type(int id) {
        return types[id];
    }

    public static Vocabulary from(GGUFFile f) throws GGUFException {
        String model = f.getString("tokenizer.ggml.model");
        if (!model.equals("llama")) {
            throw f.error("tokenizer.ggml.model", "tokenizer '" + model
                    + "' is not supported: Gale reads SentencePiece vocabularies ('llama')");
        }
        String[] tokens = f.getArray("tokenizer.ggml.tokens", GGUFValueType.STRING).strings().clone();
        int n = tokens.length;
        if (n == 0) {
            throw f.error("tokenizer.ggml.tokens", "the vocabulary is empty");
        }
        Map<String, Integer> seen = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            if (tokens[i].isEmpty()) {
                tokens[i] = "[EMPTY_" + i + "]"; // as llama.cpp names an empty token
            }
            Integer previous = seen.putIfAbsent(tokens[i], i);
            if (previous != null) {
                throw f.error("tokenizer.ggml.tokens", "duplicate token '" + tokens[i] + "' has ids " + previous
                        + " and " + i);
            }
        }
        float[] scores;
        if (f.has("tokenizer.ggml.scores")) {
            GGUFArray a = f.getArray("tokenizer.ggml.scores", null);
            if (a.elementType() == GGUFValueType.FLOAT32) {
                scores = a.floats();
            } else if (a.elementType() == GGUFValueType.INT32) { // llama.cpp accepts integer scores too
                int[] ints = a.ints();
                scores = new float[ints.length];
                for (int i = 0; i < ints.length; i++) {
                    scores[i] = ints[i];
                }
            } else {
                throw f.error("tokenizer.ggml.scores", "expected an array of FLOAT32 or INT32, found an array of "
                        + a.elementType());
            }
            if (scores.length != n) {
                throw f.error("tokenizer.ggml.scores", scores.length + " scores for " + n + " tokens");
            }
        } else {
            scores = new float[n];
        }
        int[] types;
        if (f.has("tokenizer.ggml.token_type")) {
            types = f.getIntArray("tokenizer.ggml.token_type");
            if (types.length != n) {
                throw f.error("tokenizer.ggml.token_type", types.length + " token types for " + n + " tokens");
            }
        } else {
            types = new int[n];
            Arrays.fill(types, NORMAL);
        }
        int unk = f.getInt("tokenizer.ggml.unknown_token_id", 0, n - 1, 0);
        int bos = f.getInt("tokenizer.ggml.bos_token_id", 0, n - 1, Math.min(1, n - 1));
        int eos = f.getInt("tokenizer.ggml.eos_token_id", 0, n - 1, Math.min(2, n - 1));
        return new Vocabulary(model, tokens, scores, types, bos, eos, unk,
                f.getBoolean("tokenizer.ggml.add_bos_token", true),
                f.getBoolean("tokenizer.ggml.add_eos_token", false),
                f.getBoolean("tokenizer.ggml.add_space_prefix", true));
    }
}
