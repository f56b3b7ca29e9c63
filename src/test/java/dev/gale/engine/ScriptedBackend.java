package dev.gale.engine;

import dev.gale.backend.Backend;
import dev.gale.backend.CacheLayout;
import dev.gale.model.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A backend without a model: it records every token fed, and the logits it returns make greedy
 * sampling pick the next token of a script.
 */
final class ScriptedBackend implements Backend {
    private final ModelConfig config;
    private final CacheLayout layout;
    private final int[] script;
    private int next;
    private int position;
    final List<Integer> fed = new ArrayList<>();

    ScriptedBackend(ModelConfig config, int contextSize, int... script) {
        this.config = config;
        this.layout = CacheLayout.of(0, contextSize);
        this.script = script;
    }

    int[] fed() {
        return fed.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public CacheLayout cacheLayout() {
        return layout;
    }

    @Override
    public int maxChunk() {
        return 8;
    }

    @Override
    public void forward(int[] tokens, int pos, float[] logits) {
        if (pos != position || pos + tokens.length > layout.contextSize()) {
            throw new IllegalStateException("position " + pos + " after " + position);
        }
        for (int t : tokens) {
            fed.add(t);
        }
        position += tokens.length;
        if (logits != null) {
            Arrays.fill(logits, 0f);
            logits[script[next++]] = 1f;
        }
    }

    @Override
    public void reset() {
        position = 0;
        fed.clear();
    }

    @Override
    public long cacheBytes() {
        return 0;
    }

    @Override
    public void close() {
    }
}
