package dev.gale.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.gale.tokenizer.HandVocab.BOS;
import static dev.gale.tokenizer.HandVocab.INST;
import static dev.gale.tokenizer.HandVocab.b;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streaming decode: whole characters only, never stalled, same text as decoding everything at once. */
class TokenDecoderTest {
    private final Tokenizer tok = new Tokenizer(HandVocab.vocabulary());

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }

    /** No U+FFFD and no lone surrogate. */
    private static boolean whole(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\uFFFD' || Character.isLowSurrogate(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    @Test
    void everySplitOfMultiByteCharactersGivesWholeCharacters() {
        String text = "aé€😀한z"; // 1, 2, 3, 4, 3 and 1 bytes
        byte[] all = utf8(text);
        // every way of cutting the bytes into chunks (2^(n-1) ways)
        for (int cuts = 0; cuts < 1 << (all.length - 1); cuts++) {
            TokenDecoder d = tok.decoder();
            StringBuilder out = new StringBuilder();
            int from = 0;
            for (int i = 1; i <= all.length; i++) {
                if (i == all.length || (cuts >> (i - 1) & 1) != 0) {
                    String piece = d.append(slice(all, from, i));
                    assertTrue(whole(piece), "a broken character was emitted: " + piece);
                    out.append(piece);
                    from = i;
                }
            }
            assertEquals(text, out.toString(), "everything is out before flush");
            assertEquals("", d.flush());
        }
    }

    @Test
    void byteTokensOneAtATime() {
        TokenDecoder d = tok.decoder();
        assertEquals("", d.append(b(0xF0)));
        assertEquals("", d.append(b(0x9F)));
        assertEquals("", d.append(b(0x98)));
        assertEquals("😀", d.append(b(0x80)));
        assertEquals(" the", d.append(HandVocab.ids(tok.vocabulary(), "▁the")[0]));
    }

    @Test
    void invalidBytesDoNotStallTheStream() {
        TokenDecoder d = tok.decoder();
        assertEquals("\uFFFD", d.append(b(0xFF)));  // can never start a character: out at once
        assertEquals("A", d.append(b(0x41)));
        assertEquals("\uFFFD", d.append(b(0xC0)));  // C0, C1 and F5..FF are never leads
        assertEquals("", d.append(b(0xE2)));        // may start €
        assertEquals("\uFFFDA", d.append(b(0x41))); // ... but A ends it
        assertEquals("", d.append(b(0xE0)));
        assertEquals("\uFFFD\uFFFD", d.append(b(0x80))); // E0 needs A0..BF next: both bytes are broken
        assertEquals("", d.append(b(0xED)));
        assertEquals("\uFFFD\uFFFD", d.append(b(0xA0))); // ED A0 would be a surrogate
        assertEquals("", d.append(b(0xF4)));
        assertEquals("\uFFFD\uFFFD", d.append(b(0x90))); // beyond U+10FFFF
        assertEquals("\uFFFD", d.append(b(0x80)));       // a stray continuation byte
        assertEquals("", d.append(b(0xF0)));
        assertEquals("", d.append(b(0x9F)));
        assertEquals("\uFFFD", d.flush());              // an unfinished character at the end
    }

    @Test
    void flushGivesWhatIsHeldBack() {
        TokenDecoder d = tok.decoder();
        assertEquals("", d.append(b(0xF0)));
        assertEquals("", d.append(b(0x9F)));
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush());
        assertEquals("A", d.append(b(0x41)), "the decoder is reusable after flush");
    }

    @Test
    void controlTokensShowNothingUnlessAsked() {
        TokenDecoder d = tok.decoder();
        assertEquals("", d.append(BOS));
        assertEquals("", d.append(INST));
        TokenDecoder shown = tok.decoder(true);
        assertEquals("<s>", shown.append(BOS));
        assertEquals("[INST]", shown.append(INST));
    }

    @Test
    void streamingEqualsDecodingAtOnce() {
        // random bytes, heavy in UTF-8 lead and continuation bytes, fed in random chunks
        SplittableRandom rnd = new SplittableRandom(11);
        int[] interesting = {0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF,
                0xF0, 0xF4, 0xF5, 0xFF};
        for (int round = 0; round < 3000; round++) {
            byte[] all = new byte[rnd.nextInt(1, 12)];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : interesting[rnd.nextInt(interesting.length)]);
            }
            TokenDecoder d = tok.decoder();
            StringBuilder out = new StringBuilder();
            List<Integer> held = new ArrayList<>();
            for (int from = 0; from < all.length; ) {
                int to = Math.min(all.length, from + rnd.nextInt(1, 4));
                out.append(d.append(slice(all, from, to)));
                held.add(Utf8.incompleteTail(all, to));
                from = to;
            }
            out.append(d.flush());
            assertEquals(Utf8.decode(all, 0, all.length), out.toString());
            for (int h : held) {
                assertTrue(h <= 3, "never holds more than the 3 bytes of an unfinished character");
            }
        }
    }

    @Test
    void streamedTokensOfEncodedTexts() {
        for (String s : TokenizerDecodeTest.TEXTS) {
            TokenDecoder d = tok.decoder();
            StringBuilder out = new StringBuilder();
            for (int t : tok.encode(s, true, false)) {
                String piece = d.append(t);
                assertFalse(piece.contains("\uFFFD"), () -> "broken character while streaming '" + s + "'");
                out.append(piece);
            }
            out.append(d.flush());
            // streaming strips no leading space (llama.cpp prints pieces with lstrip 0)
            assertEquals(s.isEmpty() ? "" : " " + s, out.toString());
        }
    }
}
