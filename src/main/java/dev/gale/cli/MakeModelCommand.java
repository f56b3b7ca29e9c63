package dev.gale.cli;

import dev.gale.gguf.GGMLType;
import dev.gale.model.SyntheticModel;
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
            description = "tiny, 1b (1.1B: dim 2048, 22 layers, 32/4 heads) or 7b (Mistral 7B) (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--type", defaultValue = "Q8_0", paramLabel = "TYPE", description = "weight type (default: ${DEFAULT-VALUE})")
    GGMLType type;

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
            case "1b" -> new SyntheticModel(2048, 22, 32, 4, 5632, 32000, 2048, 0, 10000f, type, type, seed);
            case "7b" -> SyntheticModel.mistral7B(type);
            default -> throw new IllegalArgumentException("unknown --shape '" + shape + "': tiny, 1b or 7b");
        };
        m = m.withSeed(seed).withOutputType(tied ? null : outputType != null ? outputType : type).withSlidingWindow(window);
        if (layers != null) {
            m = m.withLayers(layers);
        }
        if (context != null) {
            m = m.withContext(context);
        }
        long t0 = System.nanoTime();
        m.write(output);
        System.err.printf("wrote %s (%s, %d layers, %s) in %.1f s%n", output, shape, m.layers(), type,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
