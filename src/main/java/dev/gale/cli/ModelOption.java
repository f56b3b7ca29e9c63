package dev.gale.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

/** {@code -m/--model}, defaulting to the model bundled with Gale. */
final class ModelOption {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model file (default: the tiny model bundled in models/)")
    Path model;

    Path resolve() throws IOException {
        if (model != null) {
            return model;
        }
        Path bundled = bundled();
        if (bundled == null) {
            throw new NoSuchFileException("models/", null,
                    "no model given and no bundled model found; pass -m FILE.gguf");
        }
        return bundled;
    }

    /** The bundled model: the first .gguf in $GALE_HOME/models (GALE_HOME is set by the launcher). */
    static Path bundled() throws IOException {
        String home = System.getenv("GALE_HOME");
        Path dir = Path.of(home == null ? "." : home, "models");
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().findFirst().orElse(null);
        }
    }
}
