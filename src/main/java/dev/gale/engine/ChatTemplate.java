package dev.gale.engine;

import dev.gale.model.Vocabulary;
import dev.gale.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Mistral Instruct chat format, as mistral-common encodes it (its ids are the reference):
 * <pre>
 *   v1 (Mistral 7B Instruct v0.1, v0.2: [INST] is plain text)
 *     BOS  enc("[INST] user [/INST]")  enc("answer")  EOS  enc("[INST] user [/INST]") ...
 *   v3 (Mistral 7B Instruct v0.3, vocabulary 32768: [INST] and [/INST] are control tokens)
 *     BOS  [INST]  enc("user")  [/INST]  enc("answer")  EOS  [INST]  enc("user")  [/INST] ...
 * </pre>
 * where enc is SentencePiece with its space prefix, so every text run starts with "▁". Which of the
 * two applies is read from the vocabulary: v3 when it has [INST] and [/INST] as control tokens.
 *
 * <p>{@link #render} writes a conversation as text that Gale's tokenizer, with {@code parseSpecial},
 * turns into exactly these ids: {@code <s>[INST] user [/INST] answer</s>[INST] user [/INST]} for v1,
 * and {@code <s>[INST]user[/INST]answer</s>[INST]user[/INST]} for v3 — without the space that
 * Mistral's documents show after [INST] and [/INST], because Gale's tokenizer (like llama.cpp's)
 * puts the SentencePiece space prefix before text that follows a control token, and that prefix is
 * the space. {@link #encode} gives the same ids, except that control-token text inside a message
 * (a user typing "&lt;/s&gt;") stays text: only the template's own markup becomes control tokens.
 *
 * <p>Mistral has no system role: system messages are joined and put before the first user message,
 * separated from it by a blank line (as mistral-common does for v1; for v3 it puts them before the
 * last user message, which would change the start of the conversation every turn). Consecutive
 * messages of one role are joined with a blank line. Answers are stripped of surrounding white
 * space: the space before an answer is the tokenizer's.
 */
public final class ChatTemplate {
    public static final String INST = "[INST]";
    public static final String INST_END = "[/INST]";

    public enum Role {
        SYSTEM, USER, ASSISTANT;

        /** OpenAI's role names; "developer" is a system message. */
        public static Role parse(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "system", "developer" -> SYSTEM;
                case "user" -> USER;
                case "assistant" -> ASSISTANT;
                default -> throw new IllegalArgumentException("role '" + name
                        + "' is not supported: use system, user or assistant");
            };
        }
    }

    public record Message(Role role, String content) {
        public Message {
            if (role == null || content == null) {
                throw new IllegalArgumentException("a message needs a role and a content");
            }
        }

        public static Message system(String content) {
            return new Message(Role.SYSTEM, content);
        }

        public static Message user(String content) {
            return new Message(Role.USER, content);
        }

        public static Message assistant(String content) {
            return new Message(Role.ASSISTANT, content);
        }
    }

    /** A stretch of the format: a control token (when {@code id >= 0}) or text. */
    private record Part(int id, String text) {
    }

    private final Tokenizer tokenizer;
    private final int bos;
    private final int eos;
    private final int inst;
    private final int instEnd;

    public ChatTemplate(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        Vocabulary v = tokenizer.vocabulary();
        this.bos = v.bos();
        this.eos = v.eos();
        int a = controlToken(v, INST);
        int b = controlToken(v, INST_END);
        this.inst = a >= 0 && b >= 0 ? a : -1;
        this.instEnd = a >= 0 && b >= 0 ? b : -1;
    }

    private static int controlToken(Vocabulary v, String piece) {
        for (int i = 0; i < v.size(); i++) {
            if (v.type(i) == Vocabulary.CONTROL && v.piece(i).equals(piece)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether [INST] and [/INST] are control tokens (v3) rather than text (v1). */
    public boolean controlTokens() {
        return inst >= 0;
    }

    public String describe() {
        return controlTokens() ? "mistral-v3 ([INST] control tokens)" : "mistral-v1 ([INST] as text)";
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The tokens that open a conversation: BOS and the first user message (after the system prompt, if any). */
    public int[] start(String system, String user) {
        List<Part> parts = new ArrayList<>();
        parts.add(new Part(bos, null));
        userTurn(parts, withSystem(system, user));
        return tokens(parts);
    }

    /**
     * The tokens of a later user message. The answer before it ended with EOS when the model said so
     * ({@code answerClosed}); otherwise (cut at the token limit) EOS is added here, so that the
     * conversation reads as {@link #encode} would write it.
     */
    public int[] next(String user, boolean answerClosed) {
        List<Part> parts = new ArrayList<>();
        if (!answerClosed) {
            parts.add(new Part(eos, null));
        }
        userTurn(parts, user);
        return tokens(parts);
    }

    /** The tokens of a whole conversation, ready for the answer to its last (user) message. */
    public int[] encode(List<Message> messages) {
        return tokens(parts(messages));
    }

    /** The conversation as text; Gale's tokenizer with parseSpecial gives {@link #encode}'s ids. */
    public String render(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts(messages)) {
            sb.append(p.id >= 0 ? tokenizer.vocabulary().piece(p.id) : p.text);
        }
        return sb.toString();
    }

    private List<Part> parts(List<Message> messages) {
        StringBuilder system = new StringBuilder();
        List<Message> turns = new ArrayList<>();
        for (Message m : messages) {
            if (m.role() == Role.SYSTEM) {
                join(system, m.content());
            } else if (!turns.isEmpty() && turns.getLast().role() == m.role()) {
                Message last = turns.removeLast();
                turns.add(new Message(m.role(), last.content() + "\n\n" + m.content()));
            } else {
                turns.add(m);
            }
        }
        if (turns.isEmpty() || turns.getFirst().role() != Role.USER) {
            throw new IllegalArgumentException("the conversation must start with a user message (after any system messages)");
        }
        if (turns.getLast().role() != Role.USER) {
            throw new IllegalArgumentException("the conversation must end with a user message, which the model answers");
        }
        List<Part> parts = new ArrayList<>();
        parts.add(new Part(bos, null));
        for (int i = 0; i < turns.size(); i++) {
            Message m = turns.get(i);
            if (m.role() == Role.USER) {
                userTurn(parts, i == 0 ? withSystem(system.toString(), m.content()) : m.content());
            } else {
                String answer = m.content().strip();
                if (!answer.isEmpty()) {
                    parts.add(new Part(-1, controlTokens() ? answer : " " + answer));
                }
                parts.add(new Part(eos, null));
            }
        }
        return parts;
    }

    private static void join(StringBuilder sb, String s) {
        if (!sb.isEmpty()) {
            sb.append("\n\n");
        }
        sb.append(s);
    }

    private static String withSystem(String system, String user) {
        return system == null || system.isBlank() ? user : system + "\n\n" + user;
    }

    private void userTurn(List<Part> parts, String user) {
        if (controlTokens()) {
            parts.add(new Part(inst, null));
            if (!user.isEmpty()) {
                parts.add(new Part(-1, user));
            }
            parts.add(new Part(instEnd, null));
        } else {
            parts.add(new Part(-1, INST + " " + user + " " + INST_END));
        }
    }

    /** Control parts become their ids; each run of text is encoded as one fragment (with the space prefix). */
    private int[] tokens(List<Part> parts) {
        List<int[]> pieces = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Part p : parts) {
            if (p.id >= 0) {
                flush(text, pieces);
                pieces.add(new int[] {p.id});
            } else {
                text.append(p.text);
            }
        }
        flush(text, pieces);
        int n = pieces.stream().mapToInt(a -> a.length).sum();
        int[] out = new int[n];
        int at = 0;
        for (int[] a : pieces) {
            System.arraycopy(a, 0, out, at, a.length);
            at += a.length;
        }
        return out;
    }

    private void flush(StringBuilder text, List<int[]> pieces) {
        if (!text.isEmpty()) {
            pieces.add(tokenizer.encode(text.toString(), false, false));
            text.setLength(0);
        }
    }

    /**
     * A warning when a model declares (in GGUF's {@code tokenizer.chat_template}) a chat format that
     * is not Mistral's [INST] one, or null when it declares none or an [INST] one.
     */
    public static String declaredFormatWarning(String declared) {
        if (declared == null || declared.contains(INST)) {
            return null;
        }
        return "this model's tokenizer.chat_template is not the Mistral [INST] format that Gale uses; "
                + "its chat answers may be poor";
    }

    /**
     * Passes an answer's text on without its first character when that is a space: the model starts
     * an answer with a "▁word" token, whose space belongs to the format, not to the answer.
     */
    public static Session.Listener answerListener(Session.Listener listener) {
        return new Session.Listener() {
            boolean started;

            @Override
            public void onText(String text) {
                if (!started) {
                    started = true;
                    if (text.startsWith(" ")) {
                        text = text.substring(1);
                    }
                    if (text.isEmpty()) {
                        return;
                    }
                }
                listener.onText(text);
            }

            @Override
            public boolean stopRequested() {
                return listener.stopRequested();
            }
        };
    }
}
