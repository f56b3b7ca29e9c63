package dev.gale.engine;

import dev.gale.TestModels;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.Vocabulary;
import dev.gale.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gale.engine.ChatTemplate.Message.assistant;
import static dev.gale.engine.ChatTemplate.Message.system;
import static dev.gale.engine.ChatTemplate.Message.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Mistral Instruct format on the synthetic vocabulary, which has [INST]=3 and [/INST]=4 as
 * control tokens (v3), and on a copy without them (v1, [INST] is text). Expected ids are written
 * piece by piece, as mistral-common would encode the conversation.
 */
class ChatTemplateTest {
    /** The synthetic vocabulary: [INST] and [/INST] are control tokens. */
    static Vocabulary withControl() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            return m.vocabulary();
        }
    }

    /** The same vocabulary with tokens 3 and 4 renamed: no [INST] control tokens, as in Mistral v0.1/v0.2. */
    static Vocabulary withoutControl() {
        Vocabulary v = withControl();
        String[] tokens = v.tokens().clone();
        tokens[3] = "<unused0>";
        tokens[4] = "<unused1>";
        return new Vocabulary(v.model(), tokens, v.scores(), v.types(), v.bos(), v.eos(), v.unk(), v.addBos(),
                v.addEos(), v.addSpacePrefix());
    }

    private static int[] ids(Vocabulary v, String... pieces) {
        List<String> all = List.of(v.tokens());
        int[] out = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            out[i] = all.indexOf(pieces[i]);
            assertTrue(out[i] >= 0, "piece " + pieces[i] + " is not in the vocabulary");
        }
        return out;
    }

    private static final List<ChatTemplate.Message> TWO_TURNS = List.of(
            system("a"), user("te"), assistant("  a te "), user("e"));

    @Test
    void v3UsesControlTokensAndTheSpacePrefix() {
        Vocabulary v = withControl();
        ChatTemplate t = new ChatTemplate(new Tokenizer(v));
        assertTrue(t.controlTokens());
        assertEquals("<s>[INST]a\n\nte[/INST]a te</s>[INST]e[/INST]", t.render(TWO_TURNS));
        int[] expected = ids(v, "<s>", "[INST]", "▁a", "<0x0A>", "<0x0A>", "t", "e", "[/INST]", "▁a", "▁te", "</s>",
                "[INST]", "▁e", "[/INST]");
        assertEquals(3, expected[1]);
        assertEquals(4, expected[7]);
        assertArrayEquals(expected, t.encode(TWO_TURNS));
    }

    @Test
    void v1WritesInstAsTextWithSpaces() {
        Vocabulary v = withoutControl();
        ChatTemplate t = new ChatTemplate(new Tokenizer(v));
        assertFalse(t.controlTokens());
        assertEquals("<s>[INST] a\n\nte [/INST] a te</s>[INST] e [/INST]", t.render(TWO_TURNS));
        int[] expected = ids(v, "<s>",
                "▁", "[", "I", "N", "S", "T", "]", "▁a", "<0x0A>", "<0x0A>", "t", "e",
                "▁", "[", "/", "I", "N", "S", "T", "]", "▁a", "▁te", "</s>",
                "▁", "[", "I", "N", "S", "T", "]", "▁e", "▁", "[", "/", "I", "N", "S", "T", "]");
        assertArrayEquals(expected, t.encode(TWO_TURNS));
    }

    /** Rendering the text and tokenizing it with parseSpecial gives the same ids, in both variants. */
    @Test
    void renderedTextTokenizesToTheEncodedIds() {
        for (Vocabulary v : List.of(withControl(), withoutControl())) {
            Tokenizer tok = new Tokenizer(v);
            ChatTemplate t = new ChatTemplate(tok);
            for (List<ChatTemplate.Message> c : List.of(TWO_TURNS, List.of(user("e")),
                    List.of(user("the cat"), assistant("a"), user("te"), assistant(""), user("e a")))) {
                assertArrayEquals(tok.encode(t.render(c), false, true), t.encode(c), t.describe() + " " + c);
            }
        }
    }

    /** start + the answer + next == the whole conversation, whether the answer ended with EOS or was cut. */
    @Test
    void turnsConcatenateToTheWholeConversation() {
        for (Vocabulary v : List.of(withControl(), withoutControl())) {
            Tokenizer tok = new Tokenizer(v);
            ChatTemplate t = new ChatTemplate(tok);
            int[] answer = tok.encode("a te", false, false);
            int[] closed = concat(t.start("a", "te"), answer, new int[] {v.eos()}, t.next("e", true));
            int[] cut = concat(t.start("a", "te"), answer, t.next("e", false));
            assertArrayEquals(t.encode(TWO_TURNS), closed, t.describe());
            assertArrayEquals(t.encode(TWO_TURNS), cut, t.describe());
        }
    }

    @Test
    void consecutiveMessagesOfOneRoleAreJoinedAndSystemMessagesGoFirst() {
        ChatTemplate t = new ChatTemplate(new Tokenizer(withControl()));
        assertEquals("<s>[INST]s1\n\ns2\n\nu1\n\nu2[/INST]", t.render(List.of(system("s1"), user("u1"), system("s2"),
                user("u2"))));
    }

    @Test
    void controlTextInsideAMessageStaysText() {
        Vocabulary v = withControl();
        ChatTemplate t = new ChatTemplate(new Tokenizer(v));
        int[] ids = t.encode(List.of(user("a</s>[INST]")));
        assertEquals(1, count(ids, 3), "only the template's own [INST] is a control token");
        assertEquals(1, count(ids, 4));
        assertEquals(0, count(ids, v.eos()));
    }

    @Test
    void badConversationsAreClearErrors() {
        ChatTemplate t = new ChatTemplate(new Tokenizer(withControl()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.encode(List.of()))
                .getMessage().contains("start with a user message"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.encode(List.of(system("s"))))
                .getMessage().contains("start with a user message"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.encode(List.of(assistant("a"), user("u"))))
                .getMessage().contains("start with a user message"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> t.encode(List.of(user("u"), assistant("a"))))
                .getMessage().contains("end with a user message"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ChatTemplate.Role.parse("tool"))
                .getMessage().contains("'tool'"));
    }

    @Test
    void aDeclaredNonMistralFormatIsWarnedAbout() {
        assertEquals(null, ChatTemplate.declaredFormatWarning(null));
        assertEquals(null, ChatTemplate.declaredFormatWarning("{{ bos_token }}{% for m in messages %}"
                + "{{ '[INST] ' + m['content'] + ' [/INST]' }}{% endfor %}"));
        assertTrue(ChatTemplate.declaredFormatWarning("{% for m in messages %}<|im_start|>{{ m['role'] }}"
                + "{% endfor %}").contains("not the Mistral [INST] format"));
    }

    @Test
    void theAnswersLeadingSpaceIsDropped() {
        StringBuilder sb = new StringBuilder();
        Session.Listener l = ChatTemplate.answerListener(sb::append);
        l.onText(" ");
        l.onText(" a");
        l.onText(" b");
        assertEquals(" a b", sb.toString());
        StringBuilder sb2 = new StringBuilder();
        Session.Listener l2 = ChatTemplate.answerListener(sb2::append);
        l2.onText(" x y");
        assertEquals("x y", sb2.toString());
    }

    static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    private static int count(int[] a, int x) {
        return (int) java.util.Arrays.stream(a).filter(i -> i == x).count();
    }
}
