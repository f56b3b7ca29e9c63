package dev.gale.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gale.gguf.GGUFFile;
import dev.gale.gguf.GGUFValueType;
import dev.gale.gguf.GGUFWriter;
import dev.gale.model.Vocabulary;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gale against the SentencePiece library itself: src/test/resources/tokenizer/make_spm_fixture.py
 * trained a BPE model with byte fallback, recorded its vocabulary (spm-bpe-vocab.json, written here as a tensor-less GGUF), and recorded
 * SentencePiece's encoding of 391 varied strings (options chosen so that SentencePiece and llama.cpp
 * must agree; see the script). Gale reads the vocabulary through Vocabulary.from(GGUFFile), as it reads a model's.
 */
class SentencePieceCrossCheckTest {
    private static Path resource(String name) throws Exception {
        return Path.of(SentencePieceCrossCheckTest.class.getResource("/tokenizer/" + name).toURI());
    }

    /** The recorded vocabulary as the {@code tokenizer.ggml.*} keys of a tensor-less GGUF, read back as Gale reads models. */
    private static Vocabulary vocabulary(JsonNode j) throws Exception {
        int n = j.get("tokens").size();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = j.get("tokens").get(i).asText();
            scores[i] = (float) j.get("scores").get(i).asDouble();
            types[i] = j.get("token_type").get(i).asInt();
        }
        GGUFWriter w = new GGUFWriter().putString("general.architecture", "llama")
                .putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", GGUFValueType.STRING, tokens)
                .putArray("tokenizer.ggml.scores", GGUFValueType.FLOAT32, scores)
                .putArray("tokenizer.ggml.token_type", GGUFValueType.INT32, types)
                .putUInt32("tokenizer.ggml.bos_token_id", j.get("bos_token_id").asInt())
                .putUInt32("tokenizer.ggml.eos_token_id", j.get("eos_token_id").asInt())
                .putUInt32("tokenizer.ggml.unknown_token_id", j.get("unknown_token_id").asInt())
                .putBool("tokenizer.ggml.add_bos_token", j.get("add_bos_token").asBoolean())
                .putBool("tokenizer.ggml.add_eos_token", j.get("add_eos_token").asBoolean())
                .putBool("tokenizer.ggml.add_space_prefix", j.get("add_space_prefix").asBoolean());
        Path file = Files.createTempFile("spm-bpe", ".gguf");
        try {
            w.write(file);
            try (GGUFFile f = GGUFFile.open(file)) {
                return Vocabulary.from(f);
            }
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void galeEncodesAsSentencePiece() throws Exception {
        Vocabulary v = vocabulary(new ObjectMapper().readTree(resource("spm-bpe-vocab.json").toFile()));
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
