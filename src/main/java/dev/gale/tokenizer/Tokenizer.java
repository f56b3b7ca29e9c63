package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece BPE as llama.cpp runs it for {@code tokenizer.ggml.model = llama}: the text gets a
 * leading space (when {@code add_space_prefix}), spaces become "▁", characters are merged pairwise,
 * highest score first, and characters no token covers fall back to byte tokens {@code <0xNN>}.
 *
 * <p>User-defined tokens are always recognised in the text; control tokens such as {@code [INST]}
 * only when {@code parseSpecial} is set. Text after a special token gets a space prefix again, as in
 * llama.cpp.
 */
public final class Tokenizer {
    static final String SPACE = "▁";

    private final Vocabulary vocab;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int[] byteTokens = new int[256];
    /** Special tokens that can appear in text, longest first. */
    private final List<Integer> specials = new ArrayList<>();

    public Tokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        String[] tokens = vocab.tokens();
        for (int i = 0; i < tokens.length; i++) {
            ids.put(tokens[i], i);
            int type = vocab.type(i);
            if ((type == Vocabulary.CONTROL || type == Vocabulary.USER_DEFINED) && !tokens[i].isEmpty()) {
                specials.add(i);
            }
        }
        specials.sort(Comparator.comparingInt((Integer i) -> tokens[i].length()).reversed());
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.format("<0x%02X>", b));
            if (id == null && b < 128) {
                id = ids.get(String.valueOf((char) b));
            }
            byteTokens[b] = id == null ? vocab.unk() : id;
        }
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /**
     * Encodes text.
     *
     * @param addSpecial   add BOS (and EOS) as the vocabulary asks ({@code add_bos_token}, {@code add_eos_token})
     * @param parseSpecial recognise control tokens such as {@code [INST]} written in the text
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        boolean prevSpecial = true; // the first fragment gets the space prefix
        if (addSpecial && vocab.addBos()) {
            out.add(vocab.bos());
        }
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            int special = matchSpecial(text, i, parseSpecial);
            if (special < 0) {
                i++;
                continue;
            }
            if (i > start) {
                encodeText(text.substring(start, i), prevSpecial, out);
            }
            out.add(special);
            prevSpecial = true;
            i += vocab.piece(special).length();
            start = i;
        }
        if (start < text.length()) {
            encodeText(text.substring(start), prevSpecial, out);
        }
        if (addSpecial && vocab.addEos()) {
            out.add(vocab.eos());
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private int matchSpecial(String text, int at, boolean parseSpecial) {
        for (int id : specials) {
            if (!parseSpecial && vocab.type(id) == Vocabulary.CONTROL) {
                continue;
            }
            if (text.startsWith(vocab.piece(id), at)) {
                return id;
            }
        }
        return -1;
    }

    private void encodeText(String fragment, boolean prefixSpace, List<Integer> out) {
        String text = (prefixSpace && vocab.addSpacePrefix() ? " " : "") + fragment;
        new SpmMerge(text.replace(" ", SPACE), ids, vocab.scores(), byteTokens).encode(out);
    }

    /** The text of a sequence of tokens; control tokens are left out. */
    public String decode(int[] tokens) {
        TokenDecoder d = decoder();
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            sb.append(d.append(t));
        }
        return sb.append(d.flush()).toString();
    }

    /** A streaming decoder that never splits a UTF-8 character across its outputs. */
    public TokenDecoder decoder() {
        return new TokenDecoder(this);
    }

    /** The bytes a token stands for: its piece with "▁" as a space, or its byte; none for control tokens. */
    public byte[] bytes(int token) {
        int type = vocab.type(token);
        String piece = vocab.piece(token);
        return switch (type) {
            case Vocabulary.CONTROL, Vocabulary.UNUSED -> new byte[0];
            case Vocabulary.BYTE -> new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
            case Vocabulary.UNKNOWN -> " ⁇ ".getBytes(StandardCharsets.UTF_8);
            default -> piece.replace(SPACE, " ").getBytes(StandardCharsets.UTF_8);
        };
    }

    /** The piece of a token as the vocabulary spells it. */
    public String piece(int token) {
        return vocab.piece(token);
    }
}
