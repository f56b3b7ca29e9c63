package dev.gale.server;

import dev.gale.engine.SamplerConfig;

import java.util.List;

/**
 * A checked generation request.
 *
 * @param prompt       the tokens to feed (BOS first)
 * @param maxTokens    most tokens to generate ({@link Integer#MAX_VALUE}: until EOS or the context is full)
 * @param stop         strings that end the text (not included in it)
 * @param includeUsage whether a streamed answer ends with a chunk holding the token counts
 */
record CompletionRequest(Kind kind, int[] prompt, int maxTokens, SamplerConfig sampling, List<String> stop,
                         boolean stream, boolean includeUsage) {

    enum Kind {
        /** POST /v1/completions: continue a prompt. */
        COMPLETION,
        /** POST /v1/chat/completions: answer the last message of a conversation. */
        CHAT
    }
}
