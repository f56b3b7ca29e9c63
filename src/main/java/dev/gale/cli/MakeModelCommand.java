package dev.gale.cli;

import dev.gale.gguf.GGMLType;
import dev.gale.model.SyntheticModel;
import dev.gale.quant.UnsupportedTypeException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "make-model", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a Mistral-shaped GGUF model with random weights (for tests and benchmarks).")
final class MakeModelCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "output .gguf file")
    Path output;

    @Option(names = "--shape", defaultValue = "tiny", paramLabel = "NAME",
            description = "tiny, tiny-k (dim 256: rows fit the K-quants' 256-element blocks), 1b (1.1B: dim 2048, "
                    + "22 layers, 32/4 heads) or 7b (Mistral 7B) (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--type", defaultValue = "Q8_0", paramLabel = "TYPE", description = "weight type (default: ${DEFAULT-VALUE})")
    GGMLType type;

    @Option(names = "--mix", paramLabel = "NAME",
            description = "llama.cpp-style type mix instead of --type: q4_k_m (Q4_K, with attn_v, ffn_down and output "
                    + "Q6_K) or q5_k_m (Q5_K, with those Q6_K)")
    String mix;

    @Option(names = "--output-type", paramLabel = "TYPE", description = "type of output.weight (default: --type)")
    GGMLType outputType;

    @Option(names = "--tied", description = "no output.weight: tie it to the token embedding")
    boolean tied;

    @Option(names = "--layers", paramLabel = "N", description = "override the number of layers")
    Integer layers;

    @Option(names = "--sliding-window", defaultValue = "0", paramLabel = "W", description = "write llama.attention.sliding_window")
    int window;

    @Option(names = "--context", paramLabel = "N", description = "override llama.context_length")
    Integer context;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "random seed")
    long seed;

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        SyntheticModel m = switch (shape) {
            case "tiny" -> SyntheticModel.tiny(type);
            case "tiny-k" -> SyntheticModel.tinyK(type);
            case "1b" -> new SyntheticModel(2048, 22, 32, 4, 5632, 32000, 2048, 0, 10000f, type, type, seed);
            case "7b" -> SyntheticModel.mistral7B(type);
            default -> throw new IllegalArgumentException("unknown --shape '" + shape + "': tiny, tiny-k, 1b or 7b");
        };
        m = m.withSeed(seed).withOutputType(tied ? null : outputType != null ? outputType : type).withSlidingWindow(window);
        if (mix != null) {
            m = switch (mix.toLowerCase(java.util.Locale.ROOT)) {
                case "q4_k_m" -> m.withMix(GGMLType.Q4_K, GGMLType.Q6_K);
                case "q5_k_m" -> m.withMix(GGMLType.Q5_K, GGMLType.Q6_K);
                default -> throw new IllegalArgumentException("unknown --mix '" + mix + "': q4_k_m or q5_k_m");
            };
            if (outputType != null && !tied) {
                m = m.withOutputType(outputType);
            }
        }
        if (layers != null) {
            m = m.withLayers(layers);
        }
        if (context != null) {
            m = m.withContext(context);
        }
        try {
            m.validate();
        } catch (UnsupportedTypeException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + ": use --shape tiny-k, 1b or 7b", e);
        }
        long t0 = System.nanoTime();
        m.write(output);
        System.err.printf("wrote %s (%s, %d layers, %s) in %.1f s%n", output, shape, m.layers(),
                mix != null ? mix.toUpperCase(java.util.Locale.ROOT) : type,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
