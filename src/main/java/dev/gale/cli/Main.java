package dev.gale.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** The {@code gale} command. */
@Command(name = "gale", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Mistral-family LLM inference for the JVM.")
public final class Main {
    /** The subcommands, in the order help lists them. */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("generate", GenerateCommand::new);
        COMMANDS.put("chat", ChatCommand::new);
        COMMANDS.put("serve", ServeCommand::new);
        COMMANDS.put("tokenize", TokenizeCommand::new);
        COMMANDS.put("info", InfoCommand::new);
        COMMANDS.put("bench", BenchCommand::new);
        COMMANDS.put("devices", DevicesCommand::new);
        COMMANDS.put("make-model", MakeModelCommand::new);
        COMMANDS.put("context-sweep", ContextSweepCommand::new);
        COMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    public static void main(String[] args) {
        Startup.begin(args);
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        // picocli reads every registered command's annotations up front (a tenth of a second for all
        // of them on two cores): the one named first when it is a subcommand, else all (help, errors)
        Supplier<Object> named = args.length > 0 && !args[0].equals("help") ? COMMANDS.get(args[0]) : null;
        if (named != null) {
            cl.addSubcommand(named.get());
        } else {
            COMMANDS.values().forEach(c -> cl.addSubcommand(c.get()));
        }
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.hasMatchedOption("--verbose");
            PrintWriter err = cmd.getErr();
            err.println("gale: error: " + Errors.describe(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("gale: error: " + e.getMessage());
            err.println("Run '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            err.flush();
            return 2;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"gale " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
