package dev.gale.engine;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sampling rules on hand-made logits. */
class SamplerTest {
    private static SamplerConfig cfg(float temp, int topK, float topP, float minP, float penalty, long seed) {
        return new SamplerConfig(temp, topK, topP, minP, penalty, 64, seed);
    }

    @Test
    void temperatureZeroIsArgmax() {
        float[] logits = {0.1f, 2.5f, -1f, 2.4f};
        assertEquals(1, new Sampler(cfg(0f, 0, 1f, 0f, 1f, 1)).sample(logits.clone()));
    }

    @Test
    void topKOneIsGreedyWhateverTheSeed() {
        float[] logits = {0.3f, 0.1f, 0.9f, 0.8f};
        for (long seed = 0; seed < 50; seed++) {
            assertEquals(2, new Sampler(cfg(5f, 1, 1f, 0f, 1f, seed)).sample(logits.clone()));
        }
    }

    @Test
    void topKNeverPicksOutsideTheKBest() {
        float[] logits = {5f, 4.9f, 4.8f, 4.7f, 4.6f, 4.5f};
        Sampler s = new Sampler(cfg(2f, 3, 1f, 0f, 1f, 3));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(s.sample(logits.clone()));
        }
        assertEquals(Set.of(0, 1, 2), seen);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // probabilities at temperature 1: ln(5), ln(3), ln(1), ln(1) -> 0.5, 0.3, 0.1, 0.1
        float[] logits = {(float) Math.log(5), (float) Math.log(3), 0f, 0f};
        Sampler s = new Sampler(cfg(1f, 0, 0.75f, 0f, 1f, 11));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(s.sample(logits.clone()));
        }
        assertEquals(Set.of(0, 1), seen); // 0.5 is short of 0.75, 0.5 + 0.3 reaches it
    }

    @Test
    void minPDropsTokensBelowTheFractionOfTheTop() {
        // probabilities 0.5, 0.3, 0.1, 0.1; min-p 0.5 keeps p >= 0.25
        float[] logits = {(float) Math.log(5), (float) Math.log(3), 0f, 0f};
        Sampler s = new Sampler(cfg(1f, 0, 1f, 0.5f, 1f, 12));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            seen.add(s.sample(logits.clone()));
        }
        assertEquals(Set.of(0, 1), seen);
    }

    @Test
    void frequenciesFollowTheTemperedDistribution() {
        // logits ln(3), ln(1) at temperature 1 give 3:1
        float[] logits = {(float) Math.log(3), 0f};
        Sampler s = new Sampler(cfg(1f, 0, 1f, 0f, 1f, 5));
        int zeros = 0;
        int n = 20000;
        for (int i = 0; i < n; i++) {
            zeros += s.sample(logits.clone()) == 0 ? 1 : 0;
        }
        assertEquals(0.75, zeros / (double) n, 0.02);
        // temperature 0.5 squares the odds: 9:1
        s = new Sampler(cfg(0.5f, 0, 1f, 0f, 1f, 5));
        zeros = 0;
        for (int i = 0; i < n; i++) {
            zeros += s.sample(logits.clone()) == 0 ? 1 : 0;
        }
        assertEquals(0.9, zeros / (double) n, 0.02);
    }

    @Test
    void repeatPenaltyDividesPositiveAndMultipliesNegativeLogitsOfRecentTokens() {
        Sampler s = new Sampler(cfg(0f, 0, 1f, 0f, 2f, 1));
        s.accept(0);
        s.accept(2);
        float[] logits = {3f, 2f, -1f, -1.5f};
        // token 0: 3 / 2 = 1.5 < 2 -> token 1 wins
        assertEquals(1, s.sample(logits));
        assertEquals(1.5f, logits[0]);
        assertEquals(-2f, logits[2]);
        assertEquals(-1.5f, logits[3]);
    }

    @Test
    void invalidSettingsAreRejectedWithTheFlagName() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> cfg(1f, 0, 1.5f, 0f, 1f, 1));
        assertTrue(e.getMessage().contains("--top-p"));
    }
}
