package dev.gale.engine;

/**
 * How the next token is chosen from the logits. The defaults are llama.cpp's.
 *
 * @param temperature   0 (or less) = greedy: always the most likely token
 * @param topK          keep the k most likely tokens (0 = all)
 * @param topP          keep the smallest set of most likely tokens whose probability reaches p (1 = all)
 * @param minP          drop tokens less likely than minP times the most likely one (0 = none)
 * @param repeatPenalty divide positive logits (multiply negative ones) of the last {@code repeatLastN}
 *                      tokens by this (1 = off)
 * @param seed          random seed; the same seed, prompt and settings give the same output
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP, float repeatPenalty,
                            int repeatLastN, long seed) {

    public static final SamplerConfig GREEDY = new SamplerConfig(0f, 40, 0.95f, 0.05f, 1f, 64, 0);

    public SamplerConfig {
        if (topK < 0) {
            throw new IllegalArgumentException("--top-k must be >= 0, found " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("--top-p must be in (0, 1], found " + topP);
        }
        if (!(minP >= 0f && minP <= 1f)) {
            throw new IllegalArgumentException("--min-p must be in [0, 1], found " + minP);
        }
        if (!(repeatPenalty > 0f)) {
            throw new IllegalArgumentException("--repeat-penalty must be > 0, found " + repeatPenalty);
        }
        if (Float.isNaN(temperature)) {
            throw new IllegalArgumentException("--temperature must be a number");
        }
        if (repeatLastN < 0) {
            throw new IllegalArgumentException("repeat window must be >= 0, found " + repeatLastN);
        }
    }
}
