package dev.gale.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gale.gguf.GGUFFile;
import dev.gale.model.Vocabulary;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gale against the SentencePiece library itself: src/test/resources/tokenizer/make_spm_fixture.py
 * trained a BPE model with byte fallback, stored its vocabulary as a tensor-less GGUF, and recorded
 * SentencePiece's encoding of 391 varied strings (options chosen so that SentencePiece and llama.cpp
 * must agree; see the script). Gale reads the vocabulary through Vocabulary.from(GGUFFile).
 */
class SentencePieceCrossCheckTest {
    private static Path resource(String name) throws Exception {
        return Path.of(SentencePieceCrossCheckTest.class.getResource("/tokenizer/" + name).toURI());
    }

    @Test
    void galeEncodesAsSentencePiece() throws Exception {
        Vocabulary v;
        try (GGUFFile f = GGUFFile.open(resource("spm-bpe.gguf"))) {
            v = Vocabulary.from(f);
        }
        assertEquals(2000, v.size());
        assertTrue(v.addSpacePrefix() && v.addBos() && !v.addEos());
        Tokenizer tok = new Tokenizer(v);
        JsonNode cases = new ObjectMapper().readTree(resource("spm-bpe-cases.json").toFile()).get("cases");
        assertEquals(391, cases.size());
        List<String> wrong = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asInt();
            }
            int[] actual = tok.encode(text, false, false);
            if (!Arrays.equals(expected, actual)) {
                wrong.add("'" + text + "': SentencePiece " + Arrays.toString(expected) + " Gale " + Arrays.toString(actual));
            }
            int[] withBos = tok.encode(text, true, false);
            assertEquals(1, withBos[0]);
            assertArrayEquals(actual, Arrays.copyOfRange(withBos, 1, withBos.length));
            // and back (the first token's space prefix dropped); a "▁" in the text was read as a space
            assertEquals(text.replace('▁', ' '), tok.decode(actual), () -> "decoding '" + text + "'");
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + cases.size() + " differ:\n" + String.join("\n", wrong));
    }
}
