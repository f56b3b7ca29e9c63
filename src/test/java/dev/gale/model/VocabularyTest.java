package dev.gale.model;

import dev.gale.gguf.GGUFException;
import dev.gale.gguf.GGUFFile;
import dev.gale.gguf.GGUFValueType;
import dev.gale.gguf.GGUFWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading tokenizer.ggml.* as llama.cpp does. */
class VocabularyTest {
    @TempDir
    Path dir;

    private Vocabulary read(GGUFWriter w) throws Exception {
        Path p = dir.resolve("v.gguf");
        w.write(p);
        try (GGUFFile f = GGUFFile.open(p)) {
            return Vocabulary.from(f);
        }
    }

    private static GGUFWriter base(String... tokens) {
        return new GGUFWriter().putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", GGUFValueType.STRING, tokens);
    }

    @Test
    void defaultsAreLlamaCppsForSentencePiece() throws Exception {
        Vocabulary v = read(base("<unk>", "<s>", "</s>", "▁a"));
        assertEquals(0, v.unk());
        assertEquals(1, v.bos());
        assertEquals(2, v.eos());
        assertTrue(v.addBos());
        assertFalse(v.addEos());
        assertTrue(v.addSpacePrefix());
        assertArrayEquals(new float[4], v.scores());
        assertArrayEquals(new int[] {1, 1, 1, 1}, v.types());
    }

    @Test
    void flagsAndIdsFromMetadata() throws Exception {
        Vocabulary v = read(base("<unk>", "<s>", "</s>", "▁a")
                .putUInt32("tokenizer.ggml.bos_token_id", 3).putUInt32("tokenizer.ggml.eos_token_id", 1)
                .putUInt32("tokenizer.ggml.unknown_token_id", 2).putBool("tokenizer.ggml.add_bos_token", false)
                .putBool("tokenizer.ggml.add_eos_token", true).putBool("tokenizer.ggml.add_space_prefix", false));
        assertEquals(3, v.bos());
        assertEquals(1, v.eos());
        assertEquals(2, v.unk());
        assertFalse(v.addBos());
        assertTrue(v.addEos());
        assertFalse(v.addSpacePrefix());
    }

    @Test
    void integerScoresAreAccepted() throws Exception {
        Vocabulary v = read(base("<unk>", "<s>", "</s>", "▁a")
                .putArray("tokenizer.ggml.scores", GGUFValueType.INT32, new int[] {0, 0, 0, -7}));
        assertArrayEquals(new float[] {0, 0, 0, -7}, v.scores());
        assertThrows(GGUFException.class, () -> read(base("<unk>", "<s>", "</s>", "▁a")
                .putArray("tokenizer.ggml.scores", GGUFValueType.FLOAT64, new double[4])));
    }

    @Test
    void emptyTokensAreRenamedAsLlamaCppDoes() throws Exception {
        Vocabulary v = read(base("<unk>", "<s>", "</s>", ""));
        assertEquals("[EMPTY_3]", v.piece(3));
    }

    @Test
    void duplicateTokensAreRefused() {
        GGUFException e = assertThrows(GGUFException.class, () -> read(base("<unk>", "<s>", "</s>", "a", "a")));
        assertTrue(e.getMessage().contains("duplicate token 'a' has ids 3 and 4"), e.getMessage());
    }
}
