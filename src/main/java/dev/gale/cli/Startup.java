package dev.gale.cli;

import dev.gale.backend.cpu.CpuBackend;
import dev.gale.model.Model;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Work a command will need, begun on a background thread before the command line is parsed (which
 * takes picocli about 0.15 s of a start): loading the CPU kernels' classes (the Vector API's
 * initialisation, another 0.1 s) and parsing the model file named by {@code -m} for the commands
 * that run a model. The command takes the parsed model through {@link Loading#open}; a model it
 * does not take (another file, an error) is dropped, and a file that fails to parse is parsed again
 * by the command, which reports the error as usual.
 */
final class Startup {
    private static final Set<String> MODEL_COMMANDS = Set.of("generate", "chat", "serve", "bench");

    private static Path modelPath;
    private static CompletableFuture<Model> model;

    private Startup() {
    }

    static void begin(String[] args) {
        if (args.length == 0 || !MODEL_COMMANDS.contains(args[0])) {
            return;
        }
        Path path = modelArgument(args);
        boolean cpu = cpuBackend(args);
        if (path == null && !cpu) {
            return;
        }
        CompletableFuture<Model> future = new CompletableFuture<>();
        synchronized (Startup.class) {
            modelPath = path;
            model = future;
        }
        Thread t = new Thread(() -> {
            if (cpu) {
                CpuBackend.loadClasses();
            }
            try {
                future.complete(path == null ? null : Model.load(path));
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        }, "gale-startup");
        t.setDaemon(true);
        t.start();
    }

    /** The model at {@code path} if it was parsed in the background (once), else null. */
    static Model take(Path path) {
        CompletableFuture<Model> future;
        synchronized (Startup.class) {
            if (modelPath == null || !modelPath.equals(path)) {
                return null;
            }
            future = model;
            modelPath = null;
        }
        try {
            return future.join();
        } catch (CompletionException e) {
            return null;
        }
    }

    /** The value of -m/--model, if given. */
    private static Path modelArgument(String[] args) {
        try {
            for (int i = 1; i < args.length; i++) {
                if ((args[i].equals("-m") || args[i].equals("--model")) && i + 1 < args.length) {
                    return Path.of(args[i + 1]);
                }
                if (args[i].startsWith("--model=")) {
                    return Path.of(args[i].substring("--model=".length()));
                }
            }
        } catch (RuntimeException e) {
            // not a path: the command line parser says so
        }
        return null;
    }

    /** Whether the CPU backend may run: no --backend, or one that lists it. */
    private static boolean cpuBackend(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String v = args[i].equals("--backend") && i + 1 < args.length ? args[i + 1]
                    : args[i].startsWith("--backend=") ? args[i].substring("--backend=".length()) : null;
            if (v != null && !v.contains("cpu")) {
                return false;
            }
        }
        return true;
    }
}
