package dev.gale;

import dev.gale.gguf.GGMLType;
import dev.gale.model.Model;
import dev.gale.model.SyntheticModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Small random models written with Gale's GGUF writer, one file per spec per test JVM. */
public final class TestModels {
    private static final Map<SyntheticModel, Path> FILES = new ConcurrentHashMap<>();
    private static Path dir;

    private TestModels() {
    }

    /** 2 layers, 6 query heads sharing 2 KV heads (GQA), head size 16, vocabulary 512. */
    public static SyntheticModel tiny(GGMLType type) {
        return SyntheticModel.tiny(type);
    }

    /** 2 layers, dim 256, hidden 512, 8 query heads sharing 2 KV heads: rows fit K-quant blocks. */
    public static SyntheticModel tinyK(GGMLType type) {
        return SyntheticModel.tinyK(type);
    }

    public static synchronized Path file(SyntheticModel spec) {
        return FILES.computeIfAbsent(spec, s -> {
            try {
                if (dir == null) {
                    dir = Files.createTempDirectory("gale-test-models");
                    dir.toFile().deleteOnExit();
                }
                Path p = dir.resolve("model-" + Integer.toHexString(s.hashCode()) + ".gguf");
                s.write(p);
                p.toFile().deleteOnExit();
                return p;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static Model load(SyntheticModel spec) {
        try {
            return Model.load(file(spec));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
