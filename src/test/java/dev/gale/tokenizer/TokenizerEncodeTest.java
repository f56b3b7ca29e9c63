package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;
import org.junit.jupiter.api.Test;

import static dev.gale.tokenizer.HandVocab.BOS;
import static dev.gale.tokenizer.HandVocab.END_INST;
import static dev.gale.tokenizer.HandVocab.EOS;
import static dev.gale.tokenizer.HandVocab.INST;
import static dev.gale.tokenizer.HandVocab.UNK;
import static dev.gale.tokenizer.HandVocab.USER;
import static dev.gale.tokenizer.HandVocab.USER_LONG;
import static dev.gale.tokenizer.HandVocab.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Expected tokens worked out by hand from the SentencePiece BPE rules as llama.cpp applies them, on
 * {@link HandVocab}. "▁x▁y" below is the text after the space prefix and space escaping; merges are
 * listed in the order they happen (highest score first, leftmost on ties).
 */
class TokenizerEncodeTest {
    private final Vocabulary v = HandVocab.vocabulary();
    private final Tokenizer tok = new Tokenizer(v);

    private int[] ids(String... pieces) {
        return HandVocab.ids(v, pieces);
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    private void check(String text, int[] expected) {
        assertArrayEquals(expected, tok.encode(text, false, false), () -> "encoding '" + text + "'");
    }

    @Test
    void emptyTextIsJustTheBos() {
        assertArrayEquals(new int[] {BOS}, tok.encode("", true, false));
        assertArrayEquals(new int[0], tok.encode("", false, false));
        assertArrayEquals(new int[0], tok.encode("", false, true));
    }

    @Test
    void oneWord() {
        // "▁the": pairs ▁t(-1), he(-2); ▁t merges, then he, then ▁t+he = ▁the(-3)
        assertArrayEquals(new int[] {BOS, ids("▁the")[0]}, tok.encode("the", true, false));
        assertEquals(265, ids("▁the")[0], "id layout: ▁t, he, ▁the are 263, 264, 265");
        // "▁the▁the": both ▁t (tie: the left one first), both he, both ▁the
        check("the the", ids("▁the", "▁the"));
    }

    @Test
    void leadingAndRepeatedSpaces() {
        // "▁▁the": ▁▁(-10) loses to ▁t(-1); after ▁t, he, ▁the the pair ▁|▁the is no piece
        check(" the", ids("▁", "▁the"));
        // "▁a▁▁▁b": the two ▁▁ pairs tie at -10, the left one merges; "▁▁▁" is no piece
        check("a   b", ids("▁", "a", "▁▁", "▁", "b"));
        // "▁▁": a lone space becomes ▁ + prefix ▁ = ▁▁
        check(" ", ids("▁▁"));
    }

    @Test
    void newlinesFallBackToBytesButTabIsAPiece() {
        check("a\nb", concat(ids("▁", "a"), new int[] {b(0x0A)}, ids("b")));
        check("\n", concat(ids("▁"), new int[] {b(0x0A)}));
        assertEquals(15, b(0x0A), "<0x0A> is id 15, as in Mistral's vocabulary");
        check("a\tb", ids("▁", "a", "\t", "b"));
    }

    @Test
    void digits() {
        // digits stay single pieces; 9 and 7 are not in the vocabulary: bytes 0x39, 0x37
        check("2024", ids("▁", "2", "0", "2", "4"));
        check("1970", concat(ids("▁", "1"), new int[] {b(0x39), b(0x37)}, ids("0")));
    }

    @Test
    void code() {
        // "▁for▁(int▁i▁=▁0;▁i▁<▁n;▁i++)▁{": in(-5), or(-6), ▁f(-7), then ▁f+or = ▁for(-8),
        // the three ▁i(-12) left to right, ++(-20). "int" after "(" has no ▁, so "▁int" cannot form.
        check("for (int i = 0; i < n; i++) {", ids("▁for", "▁", "(", "in", "t", "▁i", "▁", "=", "▁", "0", ";",
                "▁i", "▁", "<", "▁", "n", ";", "▁i", "++", ")", "▁", "{"));
        // "▁int": in(-5) beats ▁i(-12); then ▁in(-9), then ▁in+t = ▁int(-11); the queued ▁i is stale
        check("int", ids("▁int"));
    }

    @Test
    void accentedText() {
        // é is a piece; no pair of "▁café" is one
        check("café", ids("▁", "c", "a", "f", "é"));
        // è (U+00E8 = C3 A8) is not: byte fallback
        check("è", concat(ids("▁"), new int[] {b(0xC3), b(0xA8)}));
        // no normalisation: e + combining acute (U+0301 = CC 81) stays two characters
        check("cafe\u0301", concat(ids("▁", "c", "a", "f", "e"), new int[] {b(0xCC), b(0x81)}));
    }

    @Test
    void koreanAndEmoji() {
        // 한 = ED 95 9C and 어 = EC 96 B4 fall back to bytes; 국 is a piece
        check("한국어", concat(ids("▁"), new int[] {b(0xED), b(0x95), b(0x9C)}, ids("국"),
                new int[] {b(0xEC), b(0x96), b(0xB4)}));
        // U+1F600 is one symbol (a surrogate pair in Java) and four UTF-8 bytes F0 9F 98 80
        check("😀", concat(ids("▁"), new int[] {b(0xF0), b(0x9F), b(0x98), b(0x80)}));
        check("a😀b", concat(ids("▁", "a"), new int[] {b(0xF0), b(0x9F), b(0x98), b(0x80)}, ids("b")));
    }

    @Test
    void controlTokensOnlyWhenParsingSpecials() {
        // parsed: [INST] | " the " | [/INST]; the text after a special gets the space prefix:
        // "▁▁the▁": ▁t, he, ▁the; ▁▁ is stale by then
        assertArrayEquals(concat(new int[] {BOS, INST}, ids("▁", "▁the", "▁"), new int[] {END_INST}),
                tok.encode("[INST] the [/INST]", true, true));
        // not parsed: ordinary text; I N S T / are not pieces (bytes 49 4E 53 54 2F), [ ] are
        int[] inst = {b(0x49), b(0x4E), b(0x53), b(0x54)};
        assertArrayEquals(concat(new int[] {BOS}, ids("▁", "["), inst, ids("]", "▁the", "▁", "["),
                        new int[] {b(0x2F)}, inst, ids("]")),
                tok.encode("[INST] the [/INST]", true, false));
    }

    @Test
    void spacePrefixAfterEverySpecialToken() {
        assertArrayEquals(concat(new int[] {BOS, INST}, ids("▁the")), tok.encode("[INST]the", true, true));
        assertArrayEquals(concat(new int[] {BOS}, ids("▁the"), new int[] {INST}), tok.encode("the[INST]", true, true));
        assertArrayEquals(new int[] {BOS, INST, END_INST}, tok.encode("[INST][/INST]", true, true));
        assertArrayEquals(new int[] {INST, BOS}, tok.encode("[INST]<s>", false, true));
    }

    @Test
    void userDefinedTokensAreAlwaysRecognised() {
        int[] expected = concat(ids("▁the"), new int[] {USER}, ids("▁the"));
        assertArrayEquals(expected, tok.encode("the<|u|>the", false, false));
        assertArrayEquals(expected, tok.encode("the<|u|>the", false, true));
    }

    @Test
    void longerSpecialTokenIsCutFirst() {
        // llama.cpp cuts "u|>==>" (6 bytes) before "<|u|>" (5 bytes) although "<|u|>" starts earlier;
        // "<|" is left: "▁<|" with | (7C) not a piece
        check("<|u|>==>", concat(ids("▁", "<"), new int[] {b(0x7C), USER_LONG}));
        // without the longer one the shorter is cut: then "▁=>" is ▁ = and > (3E) as a byte
        check("<|u|>=>", concat(new int[] {USER}, ids("▁", "="), new int[] {b(0x3E)}));
    }

    @Test
    void unknownTokenTextIsSpecialOnlyWhenParsing() {
        assertArrayEquals(new int[] {BOS, UNK}, tok.encode("<unk>", true, true));
        // "▁<unk>": u, n are pieces, k (6B) and > (3E) are not; no pair is a piece
        assertArrayEquals(concat(new int[] {BOS}, ids("▁", "<", "u", "n"), new int[] {b(0x6B), b(0x3E)}),
                tok.encode("<unk>", true, false));
    }

    @Test
    void withoutSpacePrefix() {
        Tokenizer t = new Tokenizer(HandVocab.vocabulary(false, true, false));
        // "the": th is no piece, he(-2) merges; "the" is no piece
        assertArrayEquals(concat(new int[] {BOS}, ids("t", "he")), t.encode("the", true, false));
        assertArrayEquals(concat(new int[] {BOS}, ids("▁the")), t.encode(" the", true, false));
        assertArrayEquals(concat(new int[] {BOS, INST}, ids("t", "he")), t.encode("[INST]the", true, true));
    }

    @Test
    void bosAndEosFlags() {
        Tokenizer noBos = new Tokenizer(HandVocab.vocabulary(true, false, false));
        assertArrayEquals(ids("▁the"), noBos.encode("the", true, false));
        Tokenizer eos = new Tokenizer(HandVocab.vocabulary(true, true, true));
        assertArrayEquals(concat(new int[] {BOS}, ids("▁the"), new int[] {EOS}), eos.encode("the", true, false));
        assertArrayEquals(new int[] {BOS, EOS}, eos.encode("", true, false));
        assertArrayEquals(ids("▁the"), eos.encode("the", false, false));
    }

    @Test
    void mergeTiesGoToTheLeftmostPair() {
        // "▁xyz": xy(-30) and yz(-30) tie; the left pair merges, which leaves z alone
        check("xyz", ids("▁", "xy", "z"));
    }

    @Test
    void negativeZeroScoreTiesWithZero() {
        // llama.cpp compares scores with < and ==, so -0.0 and 0.0 tie and the left pair "xa" wins
        // (SentencePiece's trainer does write -0.0 scores, e.g. for its first merge)
        Vocabulary z = new Vocabulary("llama", new String[] {"<unk>", "<s>", "</s>", "x", "a", "b", "xa", "ab"},
                new float[] {0, 0, 0, 0, 0, 0, -0.0f, 0.0f},
                new int[] {Vocabulary.UNKNOWN, Vocabulary.CONTROL, Vocabulary.CONTROL, 1, 1, 1, 1, 1},
                1, 2, 0, false, false, false);
        assertArrayEquals(new int[] {6, 5}, new Tokenizer(z).encode("xab", false, false));
    }

    @Test
    void highestScoreFirstIsNotLeftToRight() {
        // "▁abc": bc(-31) beats ab(-40) although ab is further left; a left-to-right merge would give ab, c
        check("abc", ids("▁", "a", "bc"));
    }

    @Test
    void nulCharacterAndLoneSurrogates() {
        check("\u0000", concat(ids("▁"), new int[] {b(0x00)}));
        check("a\u0000b", concat(ids("▁", "a"), new int[] {b(0x00)}, ids("b")));
        // a lone surrogate has no UTF-8 form: it is read as U+FFFD = EF BF BD
        int[] fffd = {b(0xEF), b(0xBF), b(0xBD)};
        check("a\uD800b", concat(ids("▁", "a"), fffd, ids("b")));
        check("\uDC00", concat(ids("▁"), fffd));
        check("\uD83D", concat(ids("▁"), fffd));
        check("\uDE00\uD83D", concat(ids("▁"), fffd, fffd));
        check("\uD83D\uD83D\uDE00", concat(ids("▁"), fffd, new int[] {b(0xF0), b(0x9F), b(0x98), b(0x80)}));
    }

    @Test
    void wellFormedLeavesValidTextAlone() {
        String s = "a😀b";
        assertEquals(s, Tokenizer.wellFormed(s));
        assertEquals("a\uFFFD😀\uFFFD", Tokenizer.wellFormed("a\uDE00😀\uD800"));
    }
}
