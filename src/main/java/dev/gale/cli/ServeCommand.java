package dev.gale.cli;

import dev.gale.backend.Backend;
import dev.gale.backend.BackendOptions;
import dev.gale.backend.Backends;
import dev.gale.engine.ChatTemplate;
import dev.gale.engine.SamplerConfig;
import dev.gale.engine.Session;
import dev.gale.model.Model;
import dev.gale.server.GaleServer;
import dev.gale.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the model over HTTP with an OpenAI-compatible API.",
                "Endpoints: POST /v1/completions, POST /v1/chat/completions (\"stream\": true for Server-Sent "
                        + "Events), GET /v1/models, GET /health.",
                "Requests run one at a time on each of --parallel workers; up to --queue more wait, the rest get 503. "
                        + "The sampling flags set the defaults for requests that leave a parameter out."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface)")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "N",
            description = "port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--parallel", defaultValue = "1", paramLabel = "N",
            description = "requests generated at once, each with its own KV cache (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--queue", defaultValue = "8", paramLabel = "N",
            description = "requests that may wait while all workers are busy (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--max-body", defaultValue = "2097152", paramLabel = "BYTES",
            description = "largest request body (default: ${DEFAULT-VALUE})")
    int maxBody;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N",
            description = "most tokens one request may generate; requests asking for more get N "
                    + "(default: no limit but EOS and the context)")
    Integer maxTokens;

    @Option(names = "--model-id", paramLabel = "NAME", description = "model id in responses (default: the file name)")
    String modelId;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (parallel < 1 || parallel > 64) {
            throw new IllegalArgumentException("--parallel must be in [1, 64], found " + parallel);
        }
        if (queue < 0) {
            throw new IllegalArgumentException("--queue must be >= 0, found " + queue);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], found " + port);
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, found " + maxTokens);
        }
        if (maxBody < 1024) {
            throw new IllegalArgumentException("--max-body must be >= 1024, found " + maxBody);
        }
        SamplerConfig defaults = sampling.toConfig();
        BackendOptions options = run.toOptions();
        if (options.threads() == 0 && parallel > 1) {
            options = options.withThreads(Math.max(1, Runtime.getRuntime().availableProcessors() / parallel));
        }
        PrintStream log = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        Path file = model.resolve();
        List<Backend> backends = new ArrayList<>();
        Model m = Loading.open(file);
        boolean workersEnded = true;
        try {
            Tokenizer tok = new Tokenizer(m.vocabulary());
            List<Session> sessions = new ArrayList<>();
            for (int i = 0; i < parallel; i++) {
                Backend b = Backends.create(m, options);
                backends.add(b);
                sessions.add(new Session(b, tok, options.resolvedChunkSize(b.config())));
            }
            ChatTemplate template = new ChatTemplate(tok);
            String warning = ChatTemplate.declaredFormatWarning(m.file().getString("tokenizer.chat_template", null));
            if (warning != null) {
                log.println("gale: warning: " + warning + " (/v1/chat/completions)");
            }
            String id = modelId != null ? modelId : file.getFileName().toString().replaceFirst("\\.gguf$", "");
            GaleServer server;
            try {
                server = new GaleServer(new GaleServer.Options(host, port, queue, maxBody, id, defaults, sampling.seed,
                        maxTokens != null ? maxTokens : Integer.MAX_VALUE, 5_000, log), template, sessions);
            } catch (java.io.IOException | java.nio.channels.UnresolvedAddressException e) {
                String why = e instanceof java.net.BindException ? e.getMessage() + " (choose another --port)"
                        : e.getMessage() != null ? e.getMessage() : "the address cannot be resolved";
                throw new IllegalArgumentException("cannot listen on " + host + ":" + port + ": " + why, e);
            }
            Thread hook = new Thread(() -> {
                log.println("gale: stopping");
                server.close(10_000);
            }, "gale-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            server.start();
            Backend b0 = backends.getFirst();
            log.printf("gale: serving %s (%s, %s, context %d%s) on http://%s:%d with %d worker(s), queue %d; "
                            + "Ctrl-C stops%n", id, b0.name(), template.describe(), sessions.getFirst().contextSize(),
                    b0.config().slidingWindow() > 0 ? ", sliding window " + b0.config().slidingWindow() : "",
                    host.contains(":") ? "[" + host + "]" : host, server.port(), parallel, queue);
            server.awaitClose();
            workersEnded = server.close(10_000);
        } finally {
            if (workersEnded) {
                for (Backend b : backends) {
                    b.close();
                }
                m.close();
            }
        }
        return 0;
    }
}
