package dev.gale.cli;

import dev.gale.backend.Backend;
import dev.gale.backend.Backends;
import dev.gale.engine.ChatTemplate;
import dev.gale.engine.ContextFullException;
import dev.gale.engine.Conversation;
import dev.gale.engine.Session;
import dev.gale.model.Model;
import dev.gale.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with an instruct model in the Mistral [INST] format.",
                "Each line read is a message (end a line with \\ to continue it on the next); the answer streams "
                        + "back. /reset starts a new conversation, /exit or end of input ends. The conversation stays "
                        + "in the KV cache, so each turn feeds only the new message."})
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--system", paramLabel = "TEXT",
            description = "system prompt, put before the first message (Mistral has no system role)")
    String system;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "512", paramLabel = "N",
            description = "most tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    RunOptions run = new RunOptions();

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    private PrintStream out;
    private boolean interactive;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be >= 1, found " + maxTokens);
        }
        var sc = sampling.toConfig();
        var options = run.toOptions();
        var console = System.console();
        interactive = console != null && console.isTerminal();
        out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        long t0 = System.nanoTime();
        try (Model m = Loading.open(model.resolve());
             Backend backend = Backends.create(m, options)) {
            long loadMs = (System.nanoTime() - t0) / 1_000_000;
            Tokenizer tok = new Tokenizer(m.vocabulary());
            ChatTemplate template = new ChatTemplate(tok);
            String warning = ChatTemplate.declaredFormatWarning(m.file().getString("tokenizer.chat_template", null));
            if (warning != null) {
                System.err.println("gale: warning: " + warning);
            }
            Session session = new Session(backend, tok, options.resolvedChunkSize(backend.config()));
            Conversation chat = new Conversation(session, template, system, sc);
            if (interactive) {
                out.printf("gale chat: %s, %s, context %d%s. /reset starts over, /exit ends; "
                                + "end a line with \\ to go on.%n", model.resolve().getFileName(), template.describe(),
                        session.contextSize(), backend.config().slidingWindow() > 0
                                ? " (sliding window " + backend.config().slidingWindow() + ")" : "");
            }
            Totals totals = new Totals();
            String message;
            while ((message = readMessage(in)) != null) {
                switch (message.strip()) {
                    case "" -> { }
                    case "/exit", "/quit" -> {
                        return summary(backend, totals, loadMs);
                    }
                    case "/reset" -> {
                        chat.reset();
                        if (interactive) {
                            out.println("(new conversation)");
                        }
                    }
                    default -> answer(chat, message, totals);
                }
            }
            if (interactive) {
                out.println(); // end of input: leave the prompt's line
            }
            return summary(backend, totals, loadMs);
        }
    }

    private void answer(Conversation chat, String message, Totals totals) {
        Session.Result r;
        try {
            r = chat.reply(message, maxTokens, piece -> out.print(piece));
        } catch (ContextFullException e) {
            String problem = "the context is full: the conversation would need " + e.needed()
                    + " positions but the context size is " + e.contextSize() + "; " + contextAdvice(chat.session());
            if (!interactive) {
                throw new IllegalStateException(problem, e);
            }
            notice(problem);
            return;
        }
        out.println();
        out.flush();
        totals.add(r);
        if (r.stop() == Session.Stop.CONTEXT_FULL) {
            notice("the context is full (" + chat.session().contextSize() + " positions): the answer was cut; "
                    + contextAdvice(chat.session()));
        }
    }

    /** A message about the chat: in line with the conversation on a terminal, else on stderr. */
    private void notice(String text) {
        (interactive ? out : System.err).println("gale: " + text);
    }

    private String contextAdvice(Session session) {
        boolean windowed = session.backend().cacheLayout().windowed();
        return "/reset starts a new conversation, or restart with a larger -c/--ctx-size"
                + (windowed ? " (with a sliding window the cache stays " + session.backend().cacheLayout().slots()
                + " positions, so a long context costs no more memory)" : "");
    }

    /** One message: a line, joined with the following ones while it ends with a backslash; null at the end of input. */
    private String readMessage(BufferedReader in) throws IOException {
        prompt("> ");
        String line = in.readLine();
        if (line == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        while (line != null && line.endsWith("\\")) {
            sb.append(line, 0, line.length() - 1).append('\n');
            prompt(". ");
            line = in.readLine();
        }
        if (line != null) {
            sb.append(line);
        }
        return sb.toString();
    }

    private void prompt(String p) {
        if (interactive) {
            out.print(p);
            out.flush();
        }
    }

    private int summary(Backend backend, Totals t, long loadMs) {
        System.err.printf("gale: %s | %d turns | prompt %d tokens, %.1f tok/s | generated %d tokens, %.2f tok/s | load %d ms%n",
                backend.name(), t.turns, t.promptTokens, t.promptTokens * 1e9 / Math.max(1, t.prefillNanos),
                t.generated, t.decodeSteps * 1e9 / Math.max(1, t.decodeNanos), loadMs);
        return 0;
    }

    private static final class Totals {
        int turns;
        long promptTokens;
        long prefillNanos;
        long generated;
        long decodeSteps;
        long decodeNanos;

        void add(Session.Result r) {
            turns++;
            promptTokens += r.promptTokens();
            prefillNanos += r.prefillNanos();
            generated += r.tokens().length;
            decodeSteps += r.decodeSteps();
            decodeNanos += r.decodeNanos();
        }
    }
}
