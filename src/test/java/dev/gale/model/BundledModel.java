package dev.gale.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The tiny model bundled in models/ and the fixtures tasks/train-tiny-model wrote for it. */
final class BundledModel {
    static final Path FILE = Path.of("models", "gale-tiny-brown-q8_0.gguf");

    private BundledModel() {
    }

    static Model load() {
        try {
            return Model.load(FILE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON fixture from src/test/resources/tiny/. */
    static JsonNode fixture(String name) {
        try (InputStream in = BundledModel.class.getResourceAsStream("/tiny/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource tiny/" + name);
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).floatValue();
        }
        return out;
    }
}
