package dev.gale.quant;

import dev.gale.gguf.GGMLType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Properties of the K-quant quantizers: every value comes back within half a quantization step of
 * its sub-block (a step that follows the sub-block's own range, so small sub-blocks next to large
 * ones keep their precision), and quantizing already-quantized values is stable.
 */
class KQuantPropertiesTest {
    private static final int QK = 256;

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void errorWithinHalfAStepOfEachSubBlock(GGMLType type) {
        BlockFormat f = Formats.of(type);
        SplittableRandom rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 200; trial++) {
            float[] x = data(rnd, trial, 4 * QK);
            float[] y = f.dequantize(f.quantize(x));
            assertWithinBound(type, x, y, "trial " + trial);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void requantizingQuantizedValuesIsStable(GGMLType type) {
        BlockFormat f = Formats.of(type);
        SplittableRandom rnd = new SplittableRandom(12);
        for (int trial = 0; trial < 200; trial++) {
            float[] y1 = f.dequantize(f.quantize(data(rnd, trial, QK)));
            float[] y2 = f.dequantize(f.quantize(y1));
            assertWithinBound(type, y1, y2, "requantized, trial " + trial);
            float[] y3 = f.dequantize(f.quantize(y2));
            assertWithinBound(type, y2, y3, "requantized twice, trial " + trial);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void zeroSubBlocksStayExactlyZeroBesideLargeValues(GGMLType type) {
        BlockFormat f = Formats.of(type);
        float[] x = new float[QK];
        for (int i = 64; i < 96; i++) {
            x[i] = 100 - i; // one 32-element stretch of large values; the rest zero
        }
        float[] y = f.dequantize(f.quantize(x));
        for (int i = 0; i < QK; i++) {
            if (i < 64 || i >= 96) {
                assertEquals(0f, y[i], "element " + i);
            }
        }
        assertWithinBound(type, x, y, "zeros beside large values");
        assertArrayEquals(new float[QK], f.dequantize(f.quantize(new float[QK])));
    }

    /**
     * Varied test data: uniform, Gaussian, all positive, outliers, and blocks whose sub-blocks
     * differ in scale by up to 1000x.
     */
    static float[] data(SplittableRandom rnd, int trial, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double g = gaussian(rnd);
            x[i] = (float) switch (trial % 5) {
                case 0 -> rnd.nextDouble(-1, 1);
                case 1 -> 0.02 * g;
                case 2 -> 3 + rnd.nextDouble();
                case 3 -> rnd.nextInt(64) == 0 ? 50 * g : g;
                default -> g * Math.pow(10, -(i / 32 % 4));
            };
        }
        return x;
    }

    private static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /**
     * |x - y| &lt;= half the largest step the sub-block can get. For Q4_K/Q5_K (levels 0..nmax, offset
     * by the sub-block's lowest value or 0): step_j &lt;= (range_j + dmin) / nmax + d, with
     * dmin &lt;= max offset / 63 and d &lt;= max step / 63, each F16 rounded up (factor 1 + 2^-10). For
     * Q6_K (levels -31..31): step_j &lt;= amax_j / 31 + d, d &lt;= max step / 127 likewise. A little
     * slack covers float rounding.
     */
    static void assertWithinBound(GGMLType type, float[] x, float[] y, String what) {
        boolean q6 = type == GGMLType.Q6_K;
        int sub = q6 ? 16 : 32;
        int nmax = type == GGMLType.Q4_K ? 15 : 31;
        double up = 1 + 0x1p-10;
        for (int b = 0; b < x.length / QK; b++) {
            double[] spread = new double[QK / sub];
            double maxOffset = 0;
            double maxAbs = 0;
            for (int j = 0; j < spread.length; j++) {
                double lo = 0;
                double hi = Double.NEGATIVE_INFINITY;
                double amax = 0;
                for (int i = 0; i < sub; i++) {
                    double v = x[b * QK + j * sub + i];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                    amax = Math.max(amax, Math.abs(v));
                }
                spread[j] = q6 ? amax : hi - lo;
                maxOffset = Math.max(maxOffset, -lo);
                maxAbs = Math.max(maxAbs, amax);
            }
            double dmin = q6 ? 0 : maxOffset / 63 * up;
            double levels = q6 ? 31 : nmax;
            double maxStep = 0;
            for (double s : spread) {
                maxStep = Math.max(maxStep, (s + dmin) / levels);
            }
            double d = maxStep / (q6 ? 127 : 63) * up;
            for (int j = 0; j < spread.length; j++) {
                double bound = 0.5 * ((spread[j] + dmin) / levels + d) * 1.0001 + 1e-6 * maxAbs;
                for (int i = 0; i < sub; i++) {
                    int at = b * QK + j * sub + i;
                    double err = Math.abs((double) x[at] - y[at]);
                    if (!(err <= bound)) {
                        fail(String.format("%s %s: element %d: %g became %g, error %.3g above bound %.3g",
                                type, what, at, x[at], y[at], err, bound));
                    }
                }
            }
        }
    }
}
