package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece BPE as llama.cpp runs it for {@code tokenizer.ggml.model = llama} (its "SPM"
 * tokenizer): special tokens are cut out of the text first ({@link SpecialTokens}); every remaining
 * text fragment that follows a special token (or starts the text) gets a leading space when
 * {@code add_space_prefix}; spaces become "▁"; characters are merged pairwise, highest score first
 * ({@link SpmMerge}); characters no token covers fall back to byte tokens {@code <0xNN>}.
 *
 * <p>Text is a Java string, llama.cpp's is UTF-8 bytes: a lone surrogate (which has no UTF-8 form)
 * is read as U+FFFD. Decoding follows llama.cpp's {@code token_to_piece} and {@code detokenize}.
 */
public final class Tokenizer {
    static final String SPACE = "▁";
    private static final byte[] NONE = new byte[0];

    private final Vocabulary vocab;
    private final Map<String, Integer> ids;
    private final int[] byteTokens = new int[256];
    private final SpecialTokens specials;

    /**
     * @throws IllegalArgumentException if two tokens have the same piece (llama.cpp refuses such a
     *                                  vocabulary too)
     */
    public Tokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        String[] tokens = vocab.tokens();
        ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            Integer previous = ids.putIfAbsent(tokens[i], i);
            if (previous != null) {
                throw new IllegalArgumentException("duplicate token in vocabulary: '" + tokens[i] + "' has ids "
                        + previous + " and " + i);
            }
        }
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.format("<0x%02X>", b));
            if (id == null && b < 128) {
                id = ids.get(String.valueOf((char) b)); // llama.cpp's fallback: the byte as a piece
            }
            // llama.cpp fails when a byte has no token at all; Gale uses <unk>, as SentencePiece does
            byteTokens[b] = id == null ? vocab.unk() : id;
        }
        specials = new SpecialTokens(vocab);
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /**
     * Encodes text like llama.cpp's {@code llama_tokenize}.
     *
     * @param addSpecial   add BOS (and EOS) as the vocabulary asks ({@code add_bos_token}, {@code add_eos_token})
     * @param parseSpecial recognise control tokens such as {@code [INST]} (and {@code <unk>}) written in the
     *                     text; user-defined tokens are recognised either way
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        String s = wellFormed(text);
        TokenBuffer out = new TokenBuffer();
        if (addSpecial && vocab.addBos()) {
            out.add(vocab.bos());
        }
        boolean prevSpecial = true; // the first fragment gets the space prefix
        int at = 0;
        for (SpecialTokens.Match m : specials.find(s, parseSpecial)) {
            if (m.start() > at) {
                encodeText(s.substring(at, m.start()), prevSpecial, out);
            }
            out.add(m.id());
            prevSpecial = true;
            at = m.start() + m.length();
        }
        if (at < s.length()) {
            encodeText(s.substring(at), prevSpecial, out);
        }
        if (addSpecial && vocab.addEos()) {
            out.add(vocab.eos());
        }
        return out.toArray();
    }

    private void encodeText(String fragment, boolean prefixSpace, TokenBuffer out) {
        String text = (prefixSpace && vocab.addSpacePrefix() ? " " : "") + fragment;
        new SpmMerge(text.replace(" ", SPACE), ids, vocab.scores(), byteTokens).encode(out);
    }

    /** The string with every lone surrogate replaced by U+FFFD (the same string if there is none). */
    static String wellFormed(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i); // a lone surrogate comes back as itself
            int n = Character.charCount(cp);
            boolean lone = n == 1 && Character.isSurrogate((char) cp);
            if (lone && sb == null) {
                sb = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (sb != null) {
                sb.appendCodePoint(lone ? 0xFFFD : cp);
            }
            i += n;
        }
        return sb == null ? s : sb.toString();
    }

    /** {@link #decode(int[], boolean, boolean) decode(tokens, false, false)}. */
    public String decode(int[] tokens) {
        return decode(tokens, false, false);
    }

    /**
     * The text of a token sequence, like llama.cpp's {@code llama_detokenize}: the pieces' bytes are
     * joined, then read as UTF-8 (bytes that form no character become U+FFFD, see {@link Utf8}). When the vocabulary
     * adds a space prefix, one leading space of the <em>first</em> token is dropped, unless
     * {@code removeSpecial} drops a leading BOS, in which case no space is dropped. A leading BOS that
     * is kept (or any other first token) uses up the space removal, so {@code decode(encode(s, true,
     * false))} is {@code " " + s} and {@code decode(encode(s, false, false))} is {@code s}.
     *
     * @param removeSpecial  drop a leading BOS and a trailing EOS, when the vocabulary adds them
     * @param unparseSpecial show control and unknown tokens as their text (otherwise they show nothing)
     */
    public String decode(int[] tokens, boolean removeSpecial, boolean unparseSpecial) {
        int from = 0;
        int to = tokens.length;
        boolean removeSpace = vocab.addSpacePrefix();
        if (removeSpecial && vocab.addBos() && to > 0 && tokens[0] == vocab.bos()) {
            removeSpace = false;
            from++;
        }
        if (removeSpecial && vocab.addEos() && to > from && tokens[to - 1] == vocab.eos()) {
            to--;
        }
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            byte[] b = bytes(tokens[i], unparseSpecial);
            int skip = removeSpace && b.length > 0 && b[0] == ' ' ? 1 : 0;
            text.write(b, skip, b.length - skip);
            removeSpace = false;
        }
        byte[] all = text.toByteArray();
        return Utf8.decode(all, 0, all.length);
    }

    /** A streaming decoder that shows no control tokens and never splits a UTF-8 character. */
    public TokenDecoder decoder() {
        return new TokenDecoder(this, false);
    }

    /**
     * A streaming decoder that never splits a UTF-8 character.
     *
     * @param unparseSpecial show control and unknown tokens as their text
     */
    public TokenDecoder decoder(boolean unparseSpecial) {
        return new TokenDecoder(this, unparseSpecial);
    }

    /** {@link #bytes(int, boolean) bytes(token, false)}. */
    public byte[] bytes(int token) {
        return bytes(token, false);
    }

    /**
     * The bytes a token stands for, as llama.cpp's {@code token_to_piece} (without lstrip): a normal
     * token's piece with "▁" as a space; a byte token's byte; a user-defined token's piece as it is;
     * a control or unknown token's piece as it is when {@code unparseSpecial}, else nothing; nothing
     * for unused tokens and tokens of an undefined type.
     *
     * @throws IllegalArgumentException if the id is not in the vocabulary
     */
    public byte[] bytes(int token, boolean unparseSpecial) {
        if (token < 0 || token >= vocab.size()) {
            throw new IllegalArgumentException("token id " + token + " is not in the vocabulary [0, "
                    + vocab.size() + ")");
        }
        String piece = vocab.piece(token);
        return switch (vocab.type(token)) {
            case Vocabulary.CONTROL, Vocabulary.UNKNOWN ->
                    unparseSpecial ? piece.getBytes(StandardCharsets.UTF_8) : NONE;
            case Vocabulary.USER_DEFINED -> piece.getBytes(StandardCharsets.UTF_8);
            case Vocabulary.NORMAL -> piece.replace(SPACE, " ").getBytes(StandardCharsets.UTF_8);
            case Vocabulary.BYTE -> new byte[] {byteValue(piece)};
            default -> NONE; // UNUSED, UNDEFINED and unknown types: llama.cpp shows nothing
        };
    }

    /**
     * The byte of a byte token "&lt;0xNN&gt;": the hex digits at 3..4, read like C's strtol (leading
     * hex digits only, 0 if there are none), which is what llama.cpp does.
     */
    static byte byteValue(String piece) {
        int value = 0;
        for (int i = 3; i < Math.min(5, piece.length()); i++) {
            int digit = Character.digit(piece.charAt(i), 16);
            if (digit < 0 || piece.charAt(i) > 'f') {
                break;
            }
            value = value * 16 + digit;
        }
        return (byte) value;
    }

    /** The piece of a token as the vocabulary spells it. */
    public String piece(int token) {
        return vocab.piece(token);
    }
}
