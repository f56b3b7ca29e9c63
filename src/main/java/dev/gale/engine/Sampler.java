package dev.gale.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses tokens from logits: repetition penalty, then greedy at temperature 0; otherwise top-k,
 * top-p and min-p filter the candidates (on the untempered distribution, as llama.cpp does), and
 * a seeded draw picks one with probabilities softmax(logits / temperature).
 */
public final class Sampler {
    private final SamplerConfig cfg;
    private final SplittableRandom random;
    private final int[] recent;
    private int recentCount;
    private int recentHead;
    private long[] keys = new long[0];
    private int[] order = new int[0];
    private float[] probs = new float[0];
    private int[] seenStamp = new int[0];
    private int stamp;

    public Sampler(SamplerConfig cfg) {
        this.cfg = cfg;
        this.random = new SplittableRandom(cfg.seed());
        this.recent = new int[cfg.repeatLastN()];
    }

    public SamplerConfig config() {
        return cfg;
    }

    /** Records a token as seen (prompt or generated), for the repetition penalty. */
    public void accept(int token) {
        if (recent.length == 0) {
            return;
        }
        recent[recentHead] = token;
        recentHead = (recentHead + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** Picks the next token. {@code logits} may be modified. */
    public int sample(float[] logits) {
        penalize(logits);
        if (cfg.temperature() <= 0f) {
            return argmax(logits);
        }
        int n = logits.length;
        if (order.length != n) {
            keys = new long[n];
            order = new int[n];
            probs = new float[n];
        }
        int k = cfg.topK() > 0 ? Math.min(cfg.topK(), n) : n;
        sortDescending(logits);
        // probabilities of the k candidates at temperature 1, for top-p and min-p
        float max = logits[order[0]];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            probs[i] = (float) Math.exp(logits[order[i]] - max);
            sum += probs[i];
        }
        int keep = k;
        if (cfg.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < k; i++) {
                cum += probs[i] / sum;
                if (cum >= cfg.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (cfg.minP() > 0f) {
            float threshold = cfg.minP() * probs[0];
            int m = 1;
            while (m < keep && probs[m] >= threshold) {
                m++;
            }
            keep = m;
        }
        // draw with the tempered distribution over the kept candidates
        double total = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = (float) Math.exp((logits[order[i]] - max) / cfg.temperature());
            total += probs[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= probs[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** Fills order[] with token ids by falling logit (ties: lower id first), without boxing. */
    private void sortDescending(float[] logits) {
        int n = logits.length;
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff); // orders like the float
            keys[i] = ((long) ~sortable << 32) | i;            // ~ makes ascending order descending
        }
        Arrays.sort(keys, 0, n);
        for (int i = 0; i < n; i++) {
            order[i] = (int) keys[i];
        }
    }

    private void penalize(float[] logits) {
        if (cfg.repeatPenalty() == 1f) {
            return;
        }
        if (seenStamp.length != logits.length) {
            seenStamp = new int[logits.length];
        }
        stamp++;
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            if (t >= 0 && t < logits.length && seenStamp[t] != stamp) {
                seenStamp[t] = stamp;
                logits[t] = logits[t] > 0 ? logits[t] / cfg.repeatPenalty() : logits[t] * cfg.repeatPenalty();
            }
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
