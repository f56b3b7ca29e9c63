package dev.gale.cli;

import dev.gale.backend.BackendOptions;
import picocli.CommandLine.Option;

/** Options for running a model: backend, threads, context, window, chunking. */
final class RunOptions {
    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "NAME",
            description = "cpu (default), opencl, ptx or spirv (TornadoVM), or reference (slow, plain Java)")
    String backend;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", paramLabel = "N",
            description = "CPU threads (default: all cores)")
    int threads;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", paramLabel = "N",
            description = "context size in tokens (default: the model's context when it has a sliding window, "
                    + "else min(model context, 4096))")
    int ctxSize;

    @Option(names = "--sliding-window", paramLabel = "W",
            description = "attention window W (default: the model's llama.attention.sliding_window; 0 = full attention)")
    Integer slidingWindow;

    @Option(names = "--chunk-size", defaultValue = "0", paramLabel = "C",
            description = "pre-fill chunk size (default: min(W, 512) with a window, else 512)")
    int chunkSize;

    @Option(names = "--device", paramLabel = "N", description = "TornadoVM device index (see 'gale devices')")
    Integer device;

    BackendOptions toOptions() {
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0, found " + threads);
        }
        if (ctxSize < 0) {
            throw new IllegalArgumentException("--ctx-size must be >= 0, found " + ctxSize);
        }
        if (chunkSize < 0) {
            throw new IllegalArgumentException("--chunk-size must be >= 0, found " + chunkSize);
        }
        if (slidingWindow != null && slidingWindow < 0) {
            throw new IllegalArgumentException("--sliding-window must be >= 0, found " + slidingWindow);
        }
        return new BackendOptions(backend, threads, ctxSize, chunkSize, slidingWindow, device);
    }
}
