package dev.gale.tokenizer;

import dev.gale.model.Vocabulary;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tokenizer against {@link NaiveSpm} on random vocabularies and texts over a small alphabet, where
 * merge ties, overlapping special tokens and byte fallback are frequent; and on long inputs.
 */
class TokenizerRandomizedTest {
    private static final String ALPHABET = "ab▁ é😀<>|";

    private static String randomString(SplittableRandom rnd, int maxLength) {
        StringBuilder sb = new StringBuilder();
        for (int i = rnd.nextInt(maxLength + 1); i > 0; i--) {
            int[] cps = ALPHABET.codePoints().toArray();
            int cp = cps[rnd.nextInt(cps.length)];
            sb.appendCodePoint(cp == '▁' ? ' ' : cp);
        }
        return sb.toString();
    }

    /** Bytes, a few specials of every kind, random merge pieces with few distinct scores (many ties). */
    private static Vocabulary randomVocabulary(SplittableRandom rnd, boolean addSpacePrefix) {
        Set<String> pieces = new LinkedHashSet<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(Vocabulary.UNKNOWN, Vocabulary.CONTROL, Vocabulary.CONTROL));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
            types.add(Vocabulary.BYTE);
        }
        int[] specialTypes = {Vocabulary.CONTROL, Vocabulary.USER_DEFINED};
        for (int i = 0; i < 4; i++) {
            String s = randomString(rnd, 4).replace(' ', '▁');
            if (!s.isEmpty() && pieces.add(s)) {
                types.add(specialTypes[rnd.nextInt(2)]);
            }
        }
        for (char c : "ab▁é".toCharArray()) {
            if (rnd.nextBoolean() && pieces.add(String.valueOf(c))) {
                types.add(Vocabulary.NORMAL);
            }
        }
        for (int i = 0; i < 30; i++) {
            String s = randomString(rnd, 5).replace(' ', '▁');
            if (s.codePointCount(0, s.length()) >= 2 && pieces.add(s)) {
                types.add(rnd.nextInt(10) == 0 ? Vocabulary.UNUSED : Vocabulary.NORMAL);
            }
        }
        float[] scores = new float[pieces.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = -rnd.nextInt(4);
        }
        return new Vocabulary("llama", pieces.toArray(String[]::new), scores,
                types.stream().mapToInt(Integer::intValue).toArray(), 1, 2, 0, true, false, addSpacePrefix);
    }

    @Test
    void agreesWithTheNaiveTranscription() {
        SplittableRandom rnd = new SplittableRandom(2024);
        for (int round = 0; round < 300; round++) {
            Vocabulary v = randomVocabulary(rnd, rnd.nextInt(4) != 0);
            Tokenizer tok = new Tokenizer(v);
            NaiveSpm naive = new NaiveSpm(v);
            for (int k = 0; k < 20; k++) {
                String text = randomString(rnd, 24);
                for (boolean parse : new boolean[] {false, true}) {
                    String info = "text '" + text + "' parse " + parse + " pieces after the bytes "
                            + Arrays.toString(Arrays.copyOfRange(v.tokens(), 259, v.size()));
                    assertArrayEquals(naive.encode(text, true, parse), tok.encode(text, true, parse), info);
                }
            }
        }
    }

    @Test
    void oneMegabyteOfText() {
        Vocabulary v = HandVocab.vocabulary();
        Tokenizer tok = new Tokenizer(v);
        String[] words = {"the", " the", "café", " 😀", "한국어", "\n", " for (int i = 0; i < n; i++) {", " abc",
                "xyz", "  ", "[INST]", "[/INST]", "\t"};
        SplittableRandom rnd = new SplittableRandom(1);
        StringBuilder sb = new StringBuilder();
        int inst = 0;
        while (sb.length() < 1 << 20) {
            String w = words[rnd.nextInt(words.length)];
            inst += w.equals("[INST]") ? 1 : 0;
            sb.append(w);
        }
        String text = sb.toString();
        int[] plain = tok.encode(text, false, false);
        assertEquals(text, tok.decode(plain));
        int[] parsed = tok.encode(text, true, true);
        assertEquals(inst, Arrays.stream(parsed).filter(t -> t == HandVocab.INST).count());
        // nothing but special tokens
        int[] only = tok.encode("[INST]".repeat(1 << 17), false, true);
        assertEquals(1 << 17, only.length);
        assertTrue(Arrays.stream(only).allMatch(t -> t == HandVocab.INST));
        // a single megabyte-long fragment with no space and no special token
        String one = "ab".repeat(1 << 19);
        int[] ab = tok.encode(one, false, false);
        assertEquals(one, tok.decode(ab));
        assertEquals((1 << 19) + 1, ab.length, "▁ then ab ... ab");
    }

    @Test
    void manyControlTokensLikeMistralV3() {
        // Mistral v0.3 has ~770 control tokens [control_N]; find them in a long text
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(Vocabulary.UNKNOWN, Vocabulary.CONTROL, Vocabulary.CONTROL));
        for (int i = 0; i < 768; i++) {
            pieces.add("[control_" + i + "]");
            types.add(Vocabulary.CONTROL);
        }
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
            types.add(Vocabulary.BYTE);
        }
        Vocabulary v = new Vocabulary("llama", pieces.toArray(String[]::new), new float[pieces.size()],
                types.stream().mapToInt(Integer::intValue).toArray(), 1, 2, 0, true, false, true);
        Tokenizer tok = new Tokenizer(v);
        StringBuilder sb = new StringBuilder();
        SplittableRandom rnd = new SplittableRandom(5);
        int count = 0;
        while (sb.length() < 1 << 20) {
            if (rnd.nextInt(50) == 0) {
                sb.append("[control_").append(rnd.nextInt(768)).append(']');
                count++;
            } else {
                sb.append("[control_x] "); // starts like one, but is not
            }
        }
        int[] ids = tok.encode(sb.toString(), false, true);
        // [control_1] must not be cut out of [control_12]: the longer token goes first
        assertEquals(count, Arrays.stream(ids).filter(t -> t >= 3 && t < 3 + 768).count());
        assertArrayEquals(new int[] {3 + 12}, tok.encode("[control_12]", false, true));
    }

    @Test
    void duplicatePiecesAreRefused() {
        Vocabulary v = new Vocabulary("llama", new String[] {"<unk>", "a", "a"}, new float[3],
                new int[] {Vocabulary.UNKNOWN, Vocabulary.NORMAL, Vocabulary.NORMAL}, 0, 0, 0, false, false, true);
        assertThrows(IllegalArgumentException.class, () -> new Tokenizer(v));
    }
}
