package dev.gale.engine;

import dev.gale.backend.Backend;
import dev.gale.tokenizer.TokenDecoder;
import dev.gale.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * One sequence being run through a backend: pre-fill in chunks, then decode token by token. The
 * backend's cache carries the sequence, so a session can be continued (as a chat continues).
 */
public final class Session {
    /** Receives generated text as it becomes printable. */
    @FunctionalInterface
    public interface Listener {
        void onText(String text);

        /**
         * Asked after every generated token: true ends generation with {@link Stop#STOPPED} (a stop
         * string was seen, or whoever wanted the text has gone away).
         */
        default boolean stopRequested() {
            return false;
        }
    }

    /** Why generation stopped. */
    public enum Stop { EOS, MAX_TOKENS, CONTEXT_FULL, STOPPED }

    /**
     * @param promptTokens tokens fed before sampling (the prompt, plus a token left over from the
     *                     previous turn)
     * @param prefillNanos time spent feeding them
     * @param decodeSteps  single-token forward passes made while generating
     * @param decodeNanos  time spent on them
     */
    public record Result(int[] tokens, String text, Stop stop, int promptTokens, long prefillNanos,
                         int decodeSteps, long decodeNanos) {

        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos;
        }

        public double decodeTokensPerSecond() {
            return decodeNanos == 0 ? 0 : decodeSteps * 1e9 / decodeNanos;
        }
    }

    private final Backend backend;
    private final Tokenizer tokenizer;
    private final int chunkSize;
    private final float[] logits;
    private int position;
    /** A token sampled last turn but not yet fed (the end of an answer); fed before the next input. */
    private int unfed = -1;

    /**
     * @param chunkSize tokens per pre-fill chunk (at most the backend's {@link Backend#maxChunk()})
     */
    public Session(Backend backend, Tokenizer tokenizer, int chunkSize) {
        if (chunkSize < 1 || chunkSize > backend.maxChunk()) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " must be in [1, " + backend.maxChunk() + "]");
        }
        this.backend = backend;
        this.tokenizer = tokenizer;
        this.chunkSize = chunkSize;
        this.logits = new float[backend.config().vocabSize()];
    }

    public Backend backend() {
        return backend;
    }

    /** Positions used so far. */
    public int position() {
        return position;
    }

    public int contextSize() {
        return backend.cacheLayout().contextSize();
    }

    /** Starts a new sequence. */
    public void reset() {
        backend.reset();
        position = 0;
        unfed = -1;
    }

    /**
     * Feeds tokens in chunks (after a token left over from the last call); afterwards {@link #logits()}
     * holds the last token's logits.
     *
     * @throws ContextFullException if the tokens do not fit in the rest of the context; nothing is fed
     *                              then, so the session can go on with fewer tokens
     */
    public void feed(int[] tokens) {
        int pending = unfed >= 0 ? 1 : 0;
        long needed = (long) position + pending + tokens.length;
        if (needed > contextSize()) {
            throw new ContextFullException("the prompt needs " + needed + " positions but the context size is "
                    + contextSize() + " (raise it with -c/--ctx-size)", needed, contextSize());
        }
        if (unfed >= 0) {
            int[] all = new int[tokens.length + 1];
            all[0] = unfed;
            System.arraycopy(tokens, 0, all, 1, tokens.length);
            tokens = all;
            unfed = -1;
        }
        if (tokens.length == 0) {
            return;
        }
        for (int start = 0; start < tokens.length; start += chunkSize) {
            int end = Math.min(tokens.length, start + chunkSize);
            backend.forward(Arrays.copyOfRange(tokens, start, end), position, end == tokens.length ? logits : null);
            position += end - start;
        }
    }

    /** Logits after the last token fed. */
    public float[] logits() {
        return logits;
    }

    /**
     * Feeds {@code prompt}, then samples up to {@code maxTokens} tokens, stopping at EOS, when the
     * context is full, or when the listener asks. Generated tokens are fed back, so the session can
     * be continued; the last sampled token (EOS included) is fed first by the next call.
     */
    public Result generate(int[] prompt, int maxTokens, Sampler sampler, Listener listener) {
        long t0 = System.nanoTime();
        int fed = prompt.length + (unfed >= 0 ? 1 : 0);
        feed(prompt);
        for (int t : prompt) {
            sampler.accept(t);
        }
        long t1 = System.nanoTime();
        int eos = tokenizer.vocabulary().eos();
        TokenDecoder decoder = tokenizer.decoder();
        StringBuilder text = new StringBuilder();
        // at most one token per free position, plus the last one, which needs no position
        int[] out = new int[Math.max(0, (int) Math.min(maxTokens, (long) contextSize() - position + 1))];
        int n = 0;
        Stop stop = Stop.MAX_TOKENS;
        long decodeStart = System.nanoTime();
        int steps = 0;
        int[] one = new int[1];
        while (n < maxTokens) {
            int token = sampler.sample(logits);
            if (token == eos) {
                unfed = token;
                stop = Stop.EOS;
                break;
            }
            out[n++] = token;
            sampler.accept(token);
            String piece = decoder.append(token);
            if (!piece.isEmpty()) {
                text.append(piece);
                listener.onText(piece);
            }
            if (n == maxTokens) {
                unfed = token;
                break;
            }
            if (listener.stopRequested()) {
                unfed = token;
                stop = Stop.STOPPED;
                break;
            }
            if (position >= contextSize()) {
                stop = Stop.CONTEXT_FULL;
                break;
            }
            one[0] = token;
            backend.forward(one, position, logits);
            position++;
            steps++;
        }
        String rest = decoder.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            listener.onText(rest);
        }
        long end = System.nanoTime();
        return new Result(Arrays.copyOf(out, n), text.toString(), stop, fed, t1 - t0, steps, end - decodeStart);
    }
}
