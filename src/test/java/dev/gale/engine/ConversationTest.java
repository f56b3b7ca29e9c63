package dev.gale.engine;

import dev.gale.TestModels;
import dev.gale.backend.cpu.CpuBackend;
import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.ModelConfig;
import dev.gale.model.Vocabulary;
import dev.gale.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.gale.engine.ChatTemplateTest.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A chat kept in the KV cache feeds, turn by turn, exactly the tokens of the whole conversation. */
class ConversationTest {

    private static ModelConfig config() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0))) {
            return m.config();
        }
    }

    /**
     * Three turns: an answer ending with EOS, one cut at the token limit, then an empty one. What the
     * backend was fed equals the template's encoding of the conversation written out at once.
     */
    @Test
    void incrementalTurnsFeedTheWholeConversation() {
        for (Vocabulary v : List.of(ChatTemplateTest.withControl(), ChatTemplateTest.withoutControl())) {
            Tokenizer tok = new Tokenizer(v);
            ChatTemplate template = new ChatTemplate(tok);
            int[] first = tok.encode("a te", false, false);
            int[] second = tok.encode("e t", false, false);
            int eos = v.eos();
            int[] script = concat(first, new int[] {eos}, second, new int[] {eos});
            ScriptedBackend backend = new ScriptedBackend(config(), 256, script);
            Session session = new Session(backend, tok, 8);
            Conversation c = new Conversation(session, template, "a", SamplerConfig.GREEDY);

            StringBuilder shown = new StringBuilder();
            Session.Result r1 = c.reply("te", 100, shown::append);
            assertEquals(Session.Stop.EOS, r1.stop());
            assertEquals("a te", shown.toString());
            Session.Result r2 = c.reply("the cat", 2, t -> { });
            assertEquals(Session.Stop.MAX_TOKENS, r2.stop());
            Session.Result r3 = c.reply("e", 100, t -> { });
            assertEquals(0, r3.tokens().length);

            List<ChatTemplate.Message> all = new ArrayList<>(c.messages());
            assertEquals(ChatTemplate.Message.assistant("a te"), all.get(2));
            assertEquals(ChatTemplate.Message.assistant("e t"), all.get(4));
            all.removeLast(); // the empty answer: its EOS was sampled but not fed
            assertArrayEquals(template.encode(all), backend.fed(), template.describe());
            assertEquals(backend.fed().length, session.position());
        }
    }

    @Test
    void resetStartsOverWithBosAndTheSystemPrompt() {
        Vocabulary v = ChatTemplateTest.withControl();
        Tokenizer tok = new Tokenizer(v);
        ChatTemplate template = new ChatTemplate(tok);
        int eos = v.eos();
        ScriptedBackend backend = new ScriptedBackend(config(), 256, eos, eos);
        Conversation c = new Conversation(new Session(backend, tok, 8), template, "s", SamplerConfig.GREEDY);
        c.reply("te", 10, t -> { });
        c.reset();
        c.reply("e", 10, t -> { });
        assertEquals(List.of(ChatTemplate.Message.system("s"), ChatTemplate.Message.user("e"),
                ChatTemplate.Message.assistant("")), c.messages());
        assertArrayEquals(template.start("s", "e"), backend.fed());
    }

    /** A message that does not fit is refused without feeding anything; a shorter one still fits. */
    @Test
    void aFullContextRefusesTheTurnAndKeepsTheConversation() {
        Vocabulary v = ChatTemplateTest.withControl();
        Tokenizer tok = new Tokenizer(v);
        ChatTemplate template = new ChatTemplate(tok);
        int eos = v.eos();
        ScriptedBackend backend = new ScriptedBackend(config(), 12, eos, eos);
        Conversation c = new Conversation(new Session(backend, tok, 8), template, null, SamplerConfig.GREEDY);
        c.reply("e", 10, t -> { }); // <s> [INST] ▁e [/INST], EOS pending: 5 positions
        int before = c.session().position();
        ContextFullException e = assertThrows(ContextFullException.class,
                () -> c.reply("e e e e e e e e e", 10, t -> { }));
        assertEquals(before, c.session().position(), e.getMessage());
        c.reply("e", 10, t -> { });
        List<ChatTemplate.Message> all = new ArrayList<>(c.messages());
        all.removeLast();
        assertArrayEquals(template.encode(all), backend.fed());
    }

    /** With a real model: turn 2 of a greedy chat equals generating from the whole conversation at once. */
    @Test
    void secondAnswerEqualsGeneratingFromTheWholeConversation() {
        try (Model m = TestModels.load(TestModels.tiny(GGMLType.Q8_0));
             CpuBackend a = new CpuBackend(m.config(), m.weights(), 256, 8, 2);
             CpuBackend b = new CpuBackend(m.config(), m.weights(), 256, 8, 2)) {
            Tokenizer tok = new Tokenizer(m.vocabulary());
            ChatTemplate template = new ChatTemplate(tok);
            Conversation c = new Conversation(new Session(a, tok, 8), template, "be brief", SamplerConfig.GREEDY);
            Session.Result first = c.reply("the cat", 6, t -> { });
            Session.Result second = c.reply("a dog", 6, t -> { });

            // the first answer as the model's own tokens (its text might tokenize differently)
            int[] whole = concat(template.start("be brief", "the cat"), first.tokens(),
                    new int[] {m.vocabulary().eos()}, template.next("a dog", true));
            Session fresh = new Session(b, tok, 8);
            Session.Result again = fresh.generate(whole, 6, new Sampler(SamplerConfig.GREEDY), t -> { });
            assertArrayEquals(again.tokens(), second.tokens());
            assertEquals(again.text(), second.text());
        }
    }
}
