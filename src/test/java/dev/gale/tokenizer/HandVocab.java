package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small Mistral-like SentencePiece vocabulary for tests whose expected tokens are worked out by
 * hand. Layout as in Mistral: 0 &lt;unk&gt; (UNKNOWN), 1 &lt;s&gt;, 2 &lt;/s&gt;, 3 [INST], 4 [/INST]
 * (CONTROL), 5..260 the byte tokens &lt;0x00&gt;..&lt;0xFF&gt; (so byte b is id 5 + b), 261 and 262
 * USER_DEFINED tokens, then NORMAL pieces. Only merge results' scores matter (single characters are
 * never made by a merge); higher merges first.
 */
final class HandVocab {
    static final int UNK = 0;
    static final int BOS = 1;
    static final int EOS = 2;
    static final int INST = 3;
    static final int END_INST = 4;
    static final int USER = 261;       // "<|u|>"
    static final int USER_LONG = 262;  // "u|>==>"

    /** Merge pieces with their scores. */
    private static final Object[][] MERGED = {
            {"▁t", -1f}, {"he", -2f}, {"▁the", -3f},
            {"in", -5f}, {"or", -6f}, {"▁f", -7f}, {"▁for", -8f}, {"▁in", -9f}, {"▁▁", -10f},
            {"▁int", -11f}, {"▁i", -12f}, {"++", -20f},
            {"xy", -30f}, {"yz", -30f}, {"bc", -31f}, {"ab", -40f},
    };
    /** Single characters: tab and "국" are in the vocabulary, newline, "7", "è", "|" are not. */
    private static final String SINGLES = "▁theabcxyzforinué();{}<=+0124[]\t국";

    private HandVocab() {
    }

    static Vocabulary vocabulary() {
        return vocabulary(true, true, false);
    }

    static Vocabulary vocabulary(boolean addSpacePrefix, boolean addBos, boolean addEos) {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "[INST]", "[/INST]"));
        List<Integer> types = new ArrayList<>(List.of(Vocabulary.UNKNOWN, Vocabulary.CONTROL, Vocabulary.CONTROL,
                Vocabulary.CONTROL, Vocabulary.CONTROL));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
            types.add(Vocabulary.BYTE);
            scores.add(0f);
        }
        pieces.add("<|u|>");
        pieces.add("u|>==>");
        types.add(Vocabulary.USER_DEFINED);
        types.add(Vocabulary.USER_DEFINED);
        scores.add(0f);
        scores.add(0f);
        for (Object[] m : MERGED) {
            pieces.add((String) m[0]);
            types.add(Vocabulary.NORMAL);
            scores.add((Float) m[1]);
        }
        SINGLES.codePoints().forEach(cp -> {
            pieces.add(Character.toString(cp));
            types.add(Vocabulary.NORMAL);
            scores.add(-100f);
        });
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new Vocabulary("llama", pieces.toArray(String[]::new), s,
                types.stream().mapToInt(Integer::intValue).toArray(), BOS, EOS, UNK, addBos, addEos, addSpacePrefix);
    }

    /** The id of a byte token. */
    static int b(int value) {
        return 5 + value;
    }

    /** The ids of pieces (written as the vocabulary spells them), checked to exist. */
    static int[] ids(Vocabulary v, String... pieces) {
        List<String> all = Arrays.asList(v.tokens());
        return Arrays.stream(pieces).mapToInt(p -> {
            int id = all.indexOf(p);
            if (id < 0) {
                throw new IllegalArgumentException("no piece '" + p + "' in the test vocabulary");
            }
            return id;
        }).toArray();
    }
}
