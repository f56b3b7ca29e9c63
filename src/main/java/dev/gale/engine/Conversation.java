package dev.gale.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * A chat held in a session's KV cache: each turn feeds only the new user message (and the end of
 * the previous answer), never the history again. The tokens fed over the turns are the tokens
 * {@link ChatTemplate#encode} gives for the whole conversation, the answers being the model's own
 * tokens.
 */
public final class Conversation {
    private final Session session;
    private final ChatTemplate template;
    private final String system;
    private final SamplerConfig sampling;
    private final List<ChatTemplate.Message> messages = new ArrayList<>();
    private Sampler sampler;
    private boolean started;
    private boolean answerClosed;

    /**
     * @param system   system prompt, put before the first user message (null or blank for none)
     * @param sampling how answers are sampled; one sampler (one seeded stream) serves the whole conversation
     */
    public Conversation(Session session, ChatTemplate template, String system, SamplerConfig sampling) {
        this.session = session;
        this.template = template;
        this.system = system == null || system.isBlank() ? null : system;
        this.sampling = sampling;
        reset();
    }

    /** Forgets the conversation and starts a new sequence. */
    public void reset() {
        session.reset();
        messages.clear();
        if (system != null) {
            messages.add(ChatTemplate.Message.system(system));
        }
        sampler = new Sampler(sampling);
        started = false;
        answerClosed = true;
    }

    /**
     * Answers a user message, streaming the answer's text to {@code listener} (without the space the
     * model puts before it).
     *
     * @throws ContextFullException if the message does not fit in the rest of the context; the
     *                              conversation is left as it was
     */
    public Session.Result reply(String user, int maxTokens, Session.Listener listener) {
        int[] tokens = started ? template.next(user, answerClosed) : template.start(system, user);
        Session.Result r = session.generate(tokens, maxTokens, sampler, ChatTemplate.answerListener(listener));
        started = true;
        answerClosed = r.stop() == Session.Stop.EOS;
        messages.add(ChatTemplate.Message.user(user));
        String text = r.text().startsWith(" ") ? r.text().substring(1) : r.text();
        messages.add(ChatTemplate.Message.assistant(text));
        return r;
    }

    /** The conversation so far: the system prompt, then user messages and answers. */
    public List<ChatTemplate.Message> messages() {
        return List.copyOf(messages);
    }

    public Session session() {
        return session;
    }

    public ChatTemplate template() {
        return template;
    }
}
