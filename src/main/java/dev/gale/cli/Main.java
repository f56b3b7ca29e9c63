package dev.gale.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code gale} command. */
@Command(name = "gale", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Mistral-family LLM inference for the JVM.",
        subcommands = {GenerateCommand.class, ChatCommand.class, ServeCommand.class, TokenizeCommand.class,
                InfoCommand.class, BenchCommand.class, DevicesCommand.class, MakeModelCommand.class,
                ContextSweepCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        Startup.begin(args);
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
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
