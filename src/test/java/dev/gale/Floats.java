package dev.gale;

import static org.junit.jupiter.api.Assertions.fail;

/** Comparisons of float vectors. */
public final class Floats {
    private Floats() {
    }

    /**
     * Asserts max |expected - actual| &lt;= relTol * max |expected|: the error relative to the
     * vector's scale, so that entries near zero do not make it meaningless.
     */
    public static void assertClose(float[] expected, float[] actual, double relTol, String what) {
        if (expected.length != actual.length) {
            fail(what + ": lengths " + expected.length + " and " + actual.length);
        }
        double scale = 0;
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            if (!Float.isFinite(actual[i])) {
                fail(what + ": non-finite value " + actual[i] + " at " + i);
            }
            scale = Math.max(scale, Math.abs(expected[i]));
            double d = Math.abs((double) expected[i] - actual[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        if (worst > relTol * scale) {
            fail(String.format("%s: max difference %.3g at %d (expected %g, got %g) exceeds %.1g x scale %.3g",
                    what, worst, at, expected[at], actual[at], relTol, scale));
        }
    }

    public static double maxRelDiff(float[] expected, float[] actual) {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs((double) expected[i] - actual[i]));
        }
        return scale == 0 ? worst : worst / scale;
    }
}
