package dev.gale.cli;

import dev.gale.engine.SamplerConfig;
import picocli.CommandLine.Option;

/** Sampling flags, with llama.cpp's defaults. */
final class SamplingOptions {
    @Option(names = "--temperature", defaultValue = "0.8", paramLabel = "T",
            description = "sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", paramLabel = "K",
            description = "keep the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P",
            description = "nucleus sampling threshold; 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", paramLabel = "P",
            description = "drop tokens below P x the top probability; 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", paramLabel = "R",
            description = "penalty for the last 64 tokens; 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "random seed (default: random)")
    Long seed;

    SamplerConfig toConfig() {
        long s = seed != null ? seed : new java.util.SplittableRandom().nextLong() & Long.MAX_VALUE;
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, 64, s);
    }
}
