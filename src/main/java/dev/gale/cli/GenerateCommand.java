package dev.gale.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gale.backend.Backend;
import dev.gale.backend.Backends;
import dev.gale.engine.Sampler;
import dev.gale.engine.SamplerConfig;
import dev.gale.engine.Session;
import dev.gale.model.Model;
import dev.gale.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Continue a prompt, streaming the text as it is generated.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "the prompt")
        String text;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "read the prompt from a file")
        Path file;

        String read() throws java.io.IOException {
            return text != null ? text : Files.readString(file, StandardCharsets.UTF_8);
        }
    }

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", paramLabel = "N",
            description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = "--parse-special", description = "recognise control tokens such as [INST] written in the prompt")
    boolean parseSpecial;

    @Option(names = "--format", defaultValue = "text", paramLabel = "text|json",
            description = "text streams the answer; json prints one JSON object as the last line")
    String format;

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("text") && !format.equals("json")) {
            throw new IllegalArgumentException("--format must be text or json, found '" + format + "'");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("--max-tokens must be >= 0, found " + maxTokens);
        }
        String text = prompt == null ? "" : prompt.read();
        SamplerConfig sc = sampling.toConfig();
        var options = run.toOptions();
        long t0 = System.nanoTime();
        try (Model m = Loading.open(model.resolve());
             Backend backend = Backends.create(m, options)) {
            long loadMs = (System.nanoTime() - t0) / 1_000_000;
            Tokenizer tok = new Tokenizer(m.vocabulary());
            int[] tokens = tok.encode(text, true, parseSpecial);
            Session session = new Session(backend, tok, options.resolvedChunkSize(backend.config()));
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                    StandardCharsets.UTF_8);
            boolean json = format.equals("json");
            Session.Result r = session.generate(tokens, maxTokens, new Sampler(sc), piece -> {
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
            });
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode o = mapper.createObjectNode();
                o.putPOJO("prompt_tokens", tokens);
                o.putPOJO("tokens", r.tokens());
                o.put("text", r.text());
                o.put("stop", r.stop().name().toLowerCase());
                ObjectNode timings = o.putObject("timings");
                timings.put("load_ms", loadMs);
                timings.put("prefill_tok_s", r.prefillTokensPerSecond());
                timings.put("decode_tok_s", r.decodeTokensPerSecond());
                o.put("seed", sc.seed());
                o.put("backend", backend.name());
                out.println(mapper.writeValueAsString(o));
            } else {
                out.println();
                System.err.printf("gale: %s | prompt %d tokens, %.1f tok/s | generated %d tokens, %.2f tok/s | load %d ms | stop: %s%n",
                        backend.name(), r.promptTokens(), r.prefillTokensPerSecond(), r.tokens().length,
                        r.decodeTokensPerSecond(), loadMs, r.stop().name().toLowerCase());
            }
        }
        return 0;
    }
}
