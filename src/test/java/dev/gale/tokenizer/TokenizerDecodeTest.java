package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gale.tokenizer.HandVocab.BOS;
import static dev.gale.tokenizer.HandVocab.END_INST;
import static dev.gale.tokenizer.HandVocab.EOS;
import static dev.gale.tokenizer.HandVocab.INST;
import static dev.gale.tokenizer.HandVocab.UNK;
import static dev.gale.tokenizer.HandVocab.USER;
import static dev.gale.tokenizer.HandVocab.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Decoding as llama.cpp's token_to_piece and detokenize do it. */
class TokenizerDecodeTest {
    /** The texts of TokenizerEncodeTest that hold no special token. */
    static final List<String> TEXTS = List.of("the", "the the", " the", "a   b", " ", "a\nb", "\n", "a\tb", "2024",
            "1970", "for (int i = 0; i < n; i++) {", "int", "café", "è", "cafe\u0301", "한국어", "😀", "a😀b",
            "[INST] the [/INST]", "<unk>", "xyz", "abc", "\u0000", "a\u0000b", "  leading and trailing  ",
            "\t\ttabs\n\nnewlines\r\n", "");

    private final Vocabulary v = HandVocab.vocabulary();
    private final Tokenizer tok = new Tokenizer(v);

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void piecesByTokenType() {
        assertEquals(" the", text(tok.bytes(HandVocab.ids(v, "▁the")[0])));           // NORMAL: ▁ is a space
        assertArrayEquals(new byte[] {(byte) 0xF0}, tok.bytes(b(0xF0)));               // BYTE: its byte
        assertArrayEquals(new byte[] {0x0A}, tok.bytes(b(0x0A)));
        assertEquals("", text(tok.bytes(INST)));                                       // CONTROL: nothing
        assertEquals("[INST]", text(tok.bytes(INST, true)));                           //   or its text
        assertEquals("", text(tok.bytes(UNK)));                                        // UNKNOWN: likewise
        assertEquals("<unk>", text(tok.bytes(UNK, true)));
        assertEquals("<|u|>", text(tok.bytes(USER)));                                  // USER_DEFINED: its text
        assertThrows(IllegalArgumentException.class, () -> tok.bytes(v.size()));
        assertThrows(IllegalArgumentException.class, () -> tok.bytes(-1));
    }

    @Test
    void rareTokenTypes() {
        // a user-defined piece keeps its ▁ (llama.cpp copies it unescaped); UNUSED, UNDEFINED (0) and
        // out-of-range types show nothing; a malformed byte piece reads like strtol
        Vocabulary odd = new Vocabulary("llama",
                new String[] {"<unk>", "<s>", "</s>", "▁x▁", "▁y", "▁z", "▁w", "<0x4G>", "<0x>"},
                new float[9],
                new int[] {Vocabulary.UNKNOWN, Vocabulary.CONTROL, Vocabulary.CONTROL, Vocabulary.USER_DEFINED,
                        Vocabulary.UNUSED, 0, 42, Vocabulary.BYTE, Vocabulary.BYTE},
                1, 2, 0, true, false, true);
        Tokenizer t = new Tokenizer(odd);
        assertEquals("▁x▁", text(t.bytes(3)));
        assertEquals("", text(t.bytes(4)));
        assertEquals("", text(t.bytes(5)));
        assertEquals("", text(t.bytes(6)));
        assertArrayEquals(new byte[] {4}, t.bytes(7));
        assertArrayEquals(new byte[] {0}, t.bytes(8));
        // an UNUSED piece is still a merge result (llama.cpp does not skip unused pieces when merging)
        assertArrayEquals(new int[] {4}, t.encode("y", false, false));
    }

    @Test
    void detokenizeDropsTheFirstTokensLeadingSpaceOnly() {
        int the = HandVocab.ids(v, "▁the")[0];
        assertEquals("the the", tok.decode(new int[] {the, the}));
        // a BOS in front uses up the space removal (it shows nothing but is the first token)
        assertEquals(" the", tok.decode(new int[] {BOS, the}));
        // removeSpecial drops the BOS, and llama.cpp then keeps the space as well
        assertEquals(" the", tok.decode(new int[] {BOS, the}, true, false));
        assertEquals("<s> the", tok.decode(new int[] {BOS, the}, false, true));
        // only one space of the first piece goes: "▁▁" -> " "
        assertEquals(" the", tok.decode(HandVocab.ids(v, "▁▁", "t", "he")));
        // a first byte token 0x20 counts as a leading space too
        assertEquals("the", tok.decode(new int[] {b(0x20), HandVocab.ids(v, "t")[0], HandVocab.ids(v, "he")[0]}));
        assertEquals("", tok.decode(new int[0]));
    }

    @Test
    void detokenizeRemovesEosOnlyWhenTheVocabularyAddsIt() {
        int the = HandVocab.ids(v, "▁the")[0];
        assertEquals("the</s>", tok.decode(new int[] {the, EOS}, true, true)); // add_eos is off
        Tokenizer eos = new Tokenizer(HandVocab.vocabulary(true, true, true));
        assertEquals(" the", eos.decode(new int[] {BOS, the, EOS}, true, true));
        assertEquals("<s> the</s>", eos.decode(new int[] {BOS, the, EOS}, false, true));
    }

    @Test
    void roundTrip() {
        for (String s : TEXTS) {
            assertEquals(s, tok.decode(tok.encode(s, false, false)), () -> "'" + s + "'");
            // with a BOS the space prefix stays, as in llama.cpp
            assertEquals(s.isEmpty() ? "" : " " + s, tok.decode(tok.encode(s, true, false)), () -> "'" + s + "'");
            assertEquals(s.isEmpty() ? "" : " " + s, tok.decode(tok.encode(s, true, false), true, false));
        }
        Tokenizer noPrefix = new Tokenizer(HandVocab.vocabulary(false, true, false));
        for (String s : TEXTS) {
            assertEquals(s, noPrefix.decode(noPrefix.encode(s, true, false)), () -> "'" + s + "'");
        }
    }

    @Test
    void roundTripThroughSpecialTokens() {
        // the fragment after a special token gained a space prefix, which decoding keeps
        int[] ids = tok.encode("[INST]the[/INST]", true, true);
        assertArrayEquals(new int[] {BOS, INST, HandVocab.ids(v, "▁the")[0], END_INST}, ids);
        assertEquals(" the", tok.decode(ids));
        assertEquals("<s>[INST] the[/INST]", tok.decode(ids, false, true));
        assertEquals("the<|u|> the", tok.decode(tok.encode("the<|u|>the", false, false)));
    }

    @Test
    void loneSurrogatesComeBackAsReplacementCharacters() {
        assertEquals("a\uFFFDb", tok.decode(tok.encode("a\uD800b", false, false)));
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        assertEquals("\uFFFDA", tok.decode(new int[] {b(0xFF), b(0x41)}));
        assertEquals("\uFFFD", tok.decode(new int[] {b(0xF0), b(0x9F), b(0x98)}));
        assertEquals("😀", tok.decode(new int[] {b(0xF0), b(0x9F), b(0x98), b(0x80)}));
    }
}
