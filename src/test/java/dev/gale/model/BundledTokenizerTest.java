package dev.gale.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gale.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Gale's tokenizer on the bundled vocabulary gives the ids SentencePiece itself gave. */
class BundledTokenizerTest {

    @Test
    void encodesAsSentencePieceDoes() {
        JsonNode cases = BundledModel.fixture("tokenizer.json").get("cases");
        assertTrue(cases.size() > 20, "fixture has " + cases.size() + " cases");
        List<String> wrong = new ArrayList<>();
        try (Model m = BundledModel.load()) {
            Tokenizer tok = new Tokenizer(m.vocabulary());
            for (JsonNode c : cases) {
                String text = c.get("text").textValue();
                int[] expected = BundledModel.ints(c.get("ids"));
                int[] actual = tok.encode(text, true, false);
                if (!Arrays.equals(expected, actual)) {
                    wrong.add(text + "\n  sentencepiece " + Arrays.toString(expected) + "\n  gale          "
                            + Arrays.toString(actual));
                }
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + cases.size() + " texts differ:\n" + String.join("\n", wrong));
    }
}
