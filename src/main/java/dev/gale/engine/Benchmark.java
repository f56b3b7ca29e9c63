package dev.gale.engine;

import dev.gale.backend.Backend;

import java.util.Arrays;

/**
 * Times a backend the way llama-bench does: prefill of a prompt of P tokens into an empty cache
 * (in chunks, as {@link Session#feed} does), and decode of N tokens from an empty cache (BOS, then
 * one token per forward pass, each fed back greedily). The prompt is BOS followed by a fixed
 * pseudo-random sequence of ids, so runs are repeatable and comparable across engines.
 */
public final class Benchmark {
    /**
     * Timings of one repetition, in seconds: wall time, and the CPU time of the whole process
     * (which, unlike wall time, does not grow when other programs take the cores, but includes
     * threads spinning at barriers).
     */
    public record Rep(double prefillSeconds, double decodeSeconds, double prefillCpuSeconds, double decodeCpuSeconds) {
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private static double cpuSeconds() {
        return OS.getProcessCpuTime() / 1e9;
    }

    private final Backend backend;
    private final int promptTokens;
    private final int decodeTokens;
    private final int chunk;
    private final int[] prompt;
    private final float[] logits;

    /**
     * @param promptTokens P, the prompt length timed for prefill (0 = skip prefill)
     * @param decodeTokens N, the forward passes timed for decode (0 = skip decode)
     * @param chunk        tokens per prefill forward call
     */
    public Benchmark(Backend backend, int promptTokens, int decodeTokens, int chunk) {
        if (promptTokens < 0 || decodeTokens < 0 || promptTokens + decodeTokens == 0) {
            throw new IllegalArgumentException("need a prompt or tokens to generate, found -p " + promptTokens
                    + " -n " + decodeTokens);
        }
        int ctx = backend.cacheLayout().contextSize();
        if (promptTokens > ctx || decodeTokens > ctx) {
            throw new IllegalArgumentException("-p " + promptTokens + " / -n " + decodeTokens
                    + " do not fit in the context of " + ctx + " positions");
        }
        if (chunk < 1 || chunk > backend.maxChunk()) {
            throw new IllegalArgumentException("chunk size " + chunk + " must be in [1, " + backend.maxChunk() + "]");
        }
        this.backend = backend;
        this.promptTokens = promptTokens;
        this.decodeTokens = decodeTokens;
        this.chunk = chunk;
        int vocab = backend.config().vocabSize();
        this.prompt = prompt(promptTokens, vocab, 1);
        this.logits = new float[vocab];
    }

    /**
     * BOS, then ids from a fixed linear congruential sequence (the same as tasks/llamacpp-bench.mjs
     * uses), skipping ids 0-2 (unknown, BOS, EOS).
     */
    public static int[] prompt(int count, int vocab, int bos) {
        int[] out = new int[count];
        long s = 12345;
        for (int i = 0; i < count; i++) {
            if (i == 0) {
                out[i] = bos;
                continue;
            }
            s = (s * 1103515245L + 12345L) % 2147483648L;
            out[i] = (int) (3 + s % (vocab - 3));
        }
        return out;
    }

    /** One repetition: prefill, then decode. */
    public Rep run() {
        double pp = 0;
        double ppCpu = 0;
        if (promptTokens > 0) {
            backend.reset();
            double c0 = cpuSeconds();
            long t0 = System.nanoTime();
            for (int start = 0; start < promptTokens; start += chunk) {
                int end = Math.min(promptTokens, start + chunk);
                backend.forward(Arrays.copyOfRange(prompt, start, end), start, end == promptTokens ? logits : null);
            }
            pp = (System.nanoTime() - t0) / 1e9;
            ppCpu = cpuSeconds() - c0;
        }
        double tg = 0;
        double tgCpu = 0;
        if (decodeTokens > 0) {
            backend.reset();
            int[] one = {1};
            double c0 = cpuSeconds();
            long t0 = System.nanoTime();
            for (int pos = 0; pos < decodeTokens; pos++) {
                backend.forward(one, pos, logits);
                one[0] = argmax(logits);
            }
            tg = (System.nanoTime() - t0) / 1e9;
            tgCpu = cpuSeconds() - c0;
        }
        return new Rep(pp, tg, ppCpu, tgCpu);
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int decodeTokens() {
        return decodeTokens;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The median of a sample (the mean of the middle two for an even count). */
    public static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int k = s.length / 2;
        return s.length % 2 == 1 ? s[k] : (s[k - 1] + s[k]) / 2;
    }

    /** The sample standard deviation (0 for fewer than two values). */
    public static double stddev(double[] xs) {
        if (xs.length < 2) {
            return 0;
        }
        double mean = Arrays.stream(xs).average().orElse(0);
        double ss = 0;
        for (double x : xs) {
            ss += (x - mean) * (x - mean);
        }
        return Math.sqrt(ss / (xs.length - 1));
    }
}
