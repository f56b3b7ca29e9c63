package dev.gale.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gale.backend.Backend;
import dev.gale.backend.BackendOptions;
import dev.gale.backend.Backends;
import dev.gale.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Decode speed and memory as a sequence grows: one sequence is pre-filled to each length in turn,
 * and at each length a few single-token decode steps are timed. With a sliding window both should
 * stay flat beyond W; with full attention they grow. tasks/swa-scaling runs it and plots the result.
 */
@Command(name = "context-sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure decode speed and memory at growing sequence lengths (sliding window vs full attention).")
final class ContextSweepCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--lengths", split = ",", defaultValue = "1024,2048,4096,8192,16384,32768", paramLabel = "L,...",
            description = "sequence lengths at which to measure (default: ${DEFAULT-VALUE})")
    List<Integer> lengths;

    @Option(names = "--decode", defaultValue = "8", paramLabel = "N", description = "decode steps timed at each length")
    int decode;

    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = "--format", defaultValue = "text", paramLabel = "text|csv|json", description = "output format")
    String format;

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        int max = lengths.stream().mapToInt(Integer::intValue).max().orElseThrow();
        BackendOptions o = run.toOptions();
        if (o.contextSize() == 0) {
            o = o.withContextSize(max + decode * lengths.size());
        }
        try (Model m = Model.load(model.resolve()); Backend b = Backends.create(m, o)) {
            int vocab = b.config().vocabSize();
            int chunk = o.resolvedChunkSize(b.config());
            SplittableRandom rnd = new SplittableRandom(1);
            float[] logits = new float[vocab];
            int pos = 0;
            boolean csv = format.equals("csv");
            if (csv) {
                System.out.println("window,length,decode_tok_s,decode_cpu_ms,kv_cache_mib,rss_mib");
            } else if (format.equals("text")) {
                System.out.printf("%-8s %8s %14s %14s %14s %10s%n", "window", "length", "decode tok/s", "CPU ms/token",
                        "KV cache MiB", "RSS MiB");
            }
            var rows = new java.util.ArrayList<Map<String, Object>>();
            for (int length : lengths.stream().sorted().toList()) {
                while (pos < length) {
                    int n = Math.min(chunk, length - pos);
                    b.forward(rnd.ints(n, 3, vocab).toArray(), pos, null);
                    pos += n;
                }
                double[] rates = new double[decode];
                double[] cpuMs = new double[decode];
                for (int i = 0; i < decode; i++) {
                    long c0 = processCpuNanos();
                    long t0 = System.nanoTime();
                    b.forward(new int[] {3 + rnd.nextInt(vocab - 3)}, pos++, logits);
                    rates[i] = 1e9 / (System.nanoTime() - t0);
                    cpuMs[i] = (processCpuNanos() - c0) / 1e6;
                }
                Arrays.sort(rates);
                Arrays.sort(cpuMs);
                double median = rates[decode / 2];
                double medianCpuMs = cpuMs[decode / 2];
                double kvMib = b.cacheBytes() / 1048576.0;
                double rssMib = rssBytes() / 1048576.0;
                int window = b.config().slidingWindow();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("window", window);
                row.put("length", length);
                row.put("decode_tok_s", median);
                row.put("decode_cpu_ms", medianCpuMs);
                row.put("kv_cache_mib", kvMib);
                row.put("rss_mib", rssMib);
                rows.add(row);
                if (csv) {
                    System.out.printf("%d,%d,%.3f,%.2f,%.1f,%.1f%n", window, length, median, medianCpuMs, kvMib, rssMib);
                } else if (format.equals("text")) {
                    System.out.printf("%-8s %8d %14.2f %14.2f %14.1f %10.1f%n",
                            window == 0 ? "full" : String.valueOf(window), length, median, medianCpuMs, kvMib, rssMib);
                }
                System.out.flush();
            }
            if (format.equals("json")) {
                System.out.println(new ObjectMapper().writeValueAsString(Map.of("rows", rows)));
            }
        }
        return 0;
    }

    /**
     * CPU time of all the process's live threads, in nanoseconds (per-thread clocks: the process
     * clock ticks in 10 ms steps here). Unlike wall time it hardly moves when other programs share
     * the cores, so it shows the cost of a step on a busy machine.
     */
    static long processCpuNanos() {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            sum += Math.max(0, threads.getThreadCpuTime(id));
        }
        return sum;
    }

    /** Resident set size of this process, from /proc/self/status (0 where there is none). */
    static long rssBytes() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return 0;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }
}
