package dev.gale.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gale.backend.Backend;
import dev.gale.backend.BackendOptions;
import dev.gale.backend.Backends;
import dev.gale.engine.Benchmark;
import dev.gale.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prefill and decode speed, in the spirit of llama-bench.",
                "Prefill: a prompt of P tokens into an empty cache, in chunks. Decode: N single-token steps from an "
                        + "empty cache. Each backend runs one untimed warm-up repetition (JIT compilation) first."})
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", paramLabel = "P",
            description = "prompt tokens to prefill (0 = skip; default: ${DEFAULT-VALUE})")
    int prompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", paramLabel = "N",
            description = "tokens to decode (0 = skip; default: ${DEFAULT-VALUE})")
    int gen;

    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "N",
            description = "CPU threads, a comma-separated list (default: all cores)")
    List<Integer> threads = new ArrayList<>(List.of(0));

    @Option(names = "--backend", split = ",", paramLabel = "NAME",
            description = "backends to measure, a comma-separated list (default: cpu)")
    List<String> backends = new ArrayList<>(List.of("cpu"));

    @Option(names = {"-r", "--reps"}, defaultValue = "3", paramLabel = "R",
            description = "timed repetitions; medians are reported (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--chunk-size", defaultValue = "0", paramLabel = "C",
            description = "prefill chunk size (default: as generate)")
    int chunkSize;

    @Option(names = "--format", defaultValue = "text", paramLabel = "text|json|csv",
            description = "text: a table; json: one JSON object as the last line; csv: one row per backend")
    String format;

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    /** The measurements of one backend and thread count. */
    record Result(String backend, int threads, double[] pp, double[] tg, double[] ppCpu, double[] tgCpu,
                  double warmupPp, double warmupTg, long loadMs) {
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of("text", "json", "csv").contains(format)) {
            throw new IllegalArgumentException("--format must be text, json or csv, found '" + format + "'");
        }
        if (reps < 1) {
            throw new IllegalArgumentException("--reps must be >= 1, found " + reps);
        }
        if (prompt < 0 || gen < 0 || prompt + gen == 0) {
            throw new IllegalArgumentException("-p and -n must be >= 0 and not both 0");
        }
        for (int t : threads) {
            if (t < 0) {
                throw new IllegalArgumentException("--threads must be >= 0, found " + t);
            }
        }
        for (String b : backends) {
            if (!Backends.NAMES.contains(b)) {
                throw new IllegalArgumentException("unknown backend '" + b + "'; choose from " + Backends.NAMES);
            }
        }
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        Path path = model.resolve();
        List<Result> results = new ArrayList<>();
        long t0 = System.nanoTime();
        try (Model m = Loading.open(path)) {
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            String type = m.weights().layers()[0].attnQ().type().name();
            long size = m.file().fileSize();
            boolean text = format.equals("text");
            if (text) {
                out.printf("model %s: %s, %.2f GiB; prefill %d tokens, decode %d tokens, %d reps after 1 warm-up%n",
                        path.getFileName(), type, size / (double) (1L << 30), prompt, gen, reps);
                out.printf("%-24s %-5s %9s %-9s %7s %20s %20s%n", "model", "type", "size", "backend", "threads",
                        "prefill tok/s", "decode tok/s");
            }
            for (String b : backends) {
                for (int t : threads) {
                    Result r = measure(m, b, t, openMs);
                    results.add(r);
                    if (text) {
                        out.printf("%-24s %-5s %5.2f GiB %-9s %7d %20s %20s%n", trim(path.getFileName().toString()),
                                type, size / (double) (1L << 30), r.backend, r.threads, show(r.pp), show(r.tg));
                    }
                }
            }
            if (text) {
                for (Result r : results) {
                    out.printf("%s/%d: warm-up (JIT) rep: prefill %.2f tok/s, decode %.2f tok/s; load %d ms; "
                                    + "process CPU time per token (median): prefill %.3f s, decode %.3f s%n",
                            r.backend, r.threads, r.warmupPp, r.warmupTg, r.loadMs, Benchmark.median(r.ppCpu),
                            Benchmark.median(r.tgCpu));
                }
            } else if (format.equals("csv")) {
                out.println("model,type,size_bytes,backend,threads,n_prompt,n_gen,reps,pp_tok_s,pp_stddev,pp_min,"
                        + "pp_max,tg_tok_s,tg_stddev,tg_min,tg_max");
                for (Result r : results) {
                    out.printf(Locale.ROOT, "%s,%s,%d,%s,%d,%d,%d,%d,%s,%s%n", path.getFileName(), type, size,
                            r.backend, r.threads, prompt, gen, reps, csv(r.pp), csv(r.tg));
                }
            } else {
                out.println(json(path, type, size, results));
            }
        }
        return 0;
    }

    private Result measure(Model m, String backendName, int t, long openMs) {
        BackendOptions o = new BackendOptions(backendName, t, Math.max(prompt, gen), chunkSize, null, null);
        long t0 = System.nanoTime();
        try (Backend backend = Backends.create(m, o)) {
            long loadMs = openMs + (System.nanoTime() - t0) / 1_000_000;
            int chunk = o.resolvedChunkSize(backend.config());
            Benchmark bench = new Benchmark(backend, prompt, gen, chunk);
            Benchmark.Rep warm = bench.run();
            double[] pp = new double[reps];
            double[] tg = new double[reps];
            double[] ppCpu = new double[reps];
            double[] tgCpu = new double[reps];
            for (int i = 0; i < reps; i++) {
                Benchmark.Rep r = bench.run();
                pp[i] = rate(prompt, r.prefillSeconds());
                tg[i] = rate(gen, r.decodeSeconds());
                ppCpu[i] = prompt == 0 ? 0 : r.prefillCpuSeconds() / prompt;
                tgCpu[i] = gen == 0 ? 0 : r.decodeCpuSeconds() / gen;
            }
            int threadsUsed = backend instanceof dev.gale.backend.cpu.CpuBackend cpu ? cpu.threads() : t;
            return new Result(backend.name(), threadsUsed, pp, tg, ppCpu, tgCpu, rate(prompt, warm.prefillSeconds()),
                    rate(gen, warm.decodeSeconds()), loadMs);
        }
    }

    private static double rate(int tokens, double seconds) {
        return seconds == 0 ? 0 : tokens / seconds;
    }

    private static String trim(String s) {
        return s.length() <= 24 ? s : s.substring(0, 21) + "...";
    }

    private static String show(double[] xs) {
        if (xs.length == 0 || xs[0] == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f ± %.2f", Benchmark.median(xs), Benchmark.stddev(xs));
    }

    private static String csv(double[] xs) {
        double min = java.util.Arrays.stream(xs).min().orElse(0);
        double max = java.util.Arrays.stream(xs).max().orElse(0);
        return String.format(Locale.ROOT, "%.4f,%.4f,%.4f,%.4f", Benchmark.median(xs), Benchmark.stddev(xs), min, max);
    }

    private String json(Path path, String type, long size, List<Result> results) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode o = mapper.createObjectNode();
        o.put("model", path.toString());
        o.put("type", type);
        o.put("size_bytes", size);
        o.put("n_prompt", prompt);
        o.put("n_gen", gen);
        o.put("reps", reps);
        Result first = results.get(0);
        o.put("backend", first.backend);
        o.put("threads", first.threads);
        o.put("pp_tok_s", Benchmark.median(first.pp));
        o.put("tg_tok_s", Benchmark.median(first.tg));
        o.put("pp_cpu_s_per_tok", Benchmark.median(first.ppCpu));
        o.put("tg_cpu_s_per_tok", Benchmark.median(first.tgCpu));
        ArrayNode all = o.putArray("results");
        for (Result r : results) {
            ObjectNode n = all.addObject();
            n.put("backend", r.backend);
            n.put("threads", r.threads);
            n.put("pp_tok_s", Benchmark.median(r.pp));
            n.put("pp_stddev", Benchmark.stddev(r.pp));
            n.put("tg_tok_s", Benchmark.median(r.tg));
            n.put("tg_stddev", Benchmark.stddev(r.tg));
            n.put("pp_cpu_s_per_tok", Benchmark.median(r.ppCpu));
            n.put("tg_cpu_s_per_tok", Benchmark.median(r.tgCpu));
            n.putPOJO("pp_reps", r.pp);
            n.putPOJO("tg_reps", r.tg);
            n.put("warmup_pp_tok_s", r.warmupPp);
            n.put("warmup_tg_tok_s", r.warmupTg);
            n.put("load_ms", r.loadMs);
        }
        return mapper.writeValueAsString(o);
    }
}
