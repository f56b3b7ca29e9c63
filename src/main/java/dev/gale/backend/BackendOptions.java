package dev.gale.backend;

import dev.gale.model.ModelConfig;

/**
 * How to run a model.
 *
 * @param backend       "cpu", "opencl", "ptx", "spirv" or "reference"
 * @param threads       CPU threads (0 = all cores)
 * @param contextSize   positions a sequence may reach (0 = default: the model's context with a
 *                      sliding window, as the cache stays W slots; else min(model context, 4096))
 * @param chunkSize     pre-fill chunk (0 = default: min(W, 512) with a window, else 512)
 * @param slidingWindow window override (null = the model's {@code attention.sliding_window}; 0 = none)
 * @param device        device index for TornadoVM backends (null = the backend's default)
 */
public record BackendOptions(String backend, int threads, int contextSize, int chunkSize, Integer slidingWindow,
                             Integer device) {

    public static final int DEFAULT_CONTEXT = 4096;
    public static final int DEFAULT_CHUNK = 512;

    public static BackendOptions cpu() {
        return new BackendOptions("cpu", 0, 0, 0, null, null);
    }

    public BackendOptions withBackend(String b) {
        return new BackendOptions(b, threads, contextSize, chunkSize, slidingWindow, device);
    }

    public BackendOptions withContextSize(int n) {
        return new BackendOptions(backend, threads, n, chunkSize, slidingWindow, device);
    }

    public BackendOptions withChunkSize(int n) {
        return new BackendOptions(backend, threads, contextSize, n, slidingWindow, device);
    }

    public BackendOptions withSlidingWindow(Integer w) {
        return new BackendOptions(backend, threads, contextSize, chunkSize, w, device);
    }

    public BackendOptions withThreads(int n) {
        return new BackendOptions(backend, n, contextSize, chunkSize, slidingWindow, device);
    }

    /** The model config with the window override applied. */
    public ModelConfig apply(ModelConfig c) {
        return slidingWindow == null ? c : c.withSlidingWindow(slidingWindow);
    }

    public int resolvedThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** The context size for a model whose window has been applied. */
    public int resolvedContextSize(ModelConfig c) {
        if (contextSize > 0) {
            return contextSize;
        }
        return c.slidingWindow() > 0 ? c.contextLength() : Math.min(c.contextLength(), DEFAULT_CONTEXT);
    }

    public int resolvedChunkSize(ModelConfig c) {
        int n = chunkSize > 0 ? chunkSize : c.slidingWindow() > 0 ? Math.min(c.slidingWindow(), DEFAULT_CHUNK)
                : DEFAULT_CHUNK;
        return Math.min(n, resolvedContextSize(c));
    }
}
