package dev.gale.quant;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of quantize → dequantize on random blocks of many scales: the error bounds that
 * follow from each format's definition, and that quantizing a dequantized block gives it back.
 *
 * <p>With {@code d} the exact scale ({@code max|x| / 127} for Q8_0, {@code m / -8} for Q4_0) and
 * {@code h} the half it is stored as, an element quantized to {@code q} decodes to {@code q * h}, so
 * its error is at most {@code |d| / 2} (rounding to the nearest step) plus {@code |q| * |d - h|}
 * (the scale's own rounding), plus float rounding.
 */
class QuantizationErrorTest {
    private static final int BLOCKS = 2000;

    /** Blocks of 32 uniform values whose magnitudes range from 1e-3 to 1e3. */
    private static float[] randomBlocks(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[32 * BLOCKS];
        for (int b = 0; b < BLOCKS; b++) {
            double scale = Math.pow(10, rnd.nextDouble(-3, 3));
            for (int i = 0; i < 32; i++) {
                x[32 * b + i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
            }
            if (b % 7 == 0) {
                x[32 * b + rnd.nextInt(32)] = 0; // exact zeros too
            }
        }
        return x;
    }

    private static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    @Test
    void q8_0ErrorIsHalfAStep() {
        float[] x = randomBlocks(11);
        float[] y = new Q8_0().dequantize(new Q8_0().quantize(x));
        for (int b = 0; b < BLOCKS; b++) {
            float amax = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[32 * b + i]));
            }
            double d = amax / 127.0;
            double scaleError = Math.abs(d - half((float) d));
            for (int i = 0; i < 32; i++) {
                int at = 32 * b + i;
                double err = Math.abs((double) x[at] - y[at]);
                double bound = d / 2 + 127 * scaleError + 1e-6 * amax;
                assertTrue(err <= bound, "block " + b + " element " + i + ": |" + x[at] + " - " + y[at] + "| = " + err
                        + " > " + bound);
                if (Math.abs(x[at]) == amax) {
                    assertEquals(127 * half((float) d), Math.abs(y[at]), 1e-6 * amax, "the largest maps to +-127 h");
                }
            }
        }
    }

    @Test
    void q4_0ErrorIsHalfAStepExceptAtTheClippedEnd() {
        float[] x = randomBlocks(12);
        float[] y = new Q4_0().dequantize(new Q4_0().quantize(x));
        for (int b = 0; b < BLOCKS; b++) {
            float m = 0;
            for (int i = 0; i < 32; i++) {
                if (Math.abs(x[32 * b + i]) > Math.abs(m)) {
                    m = x[32 * b + i];
                }
            }
            double d = m / -8.0;
            double scaleError = Math.abs(d - half((float) d));
            for (int i = 0; i < 32; i++) {
                int at = 32 * b + i;
                double steps = x[at] / d; // in [-8, 8]; nibble 15 is the largest, so (7.5, 8] is clipped to 7
                double stepError = steps > 7.5 ? steps - 7 : 0.5;
                double err = Math.abs((double) x[at] - y[at]);
                double bound = Math.abs(d) * stepError + 8 * scaleError + 1e-6 * Math.abs(m);
                assertTrue(err <= bound, "block " + b + " element " + i + ": |" + x[at] + " - " + y[at] + "| = " + err
                        + " > " + bound);
            }
        }
    }

    @Test
    void halfPrecisionErrorIsHalfAnUlp() {
        float[] x = randomBlocks(13);
        float[] f16 = new F16().dequantize(new F16().quantize(x));
        float[] bf16 = new BF16().dequantize(new BF16().quantize(x));
        for (int i = 0; i < x.length; i++) {
            double a = Math.abs(x[i]);
            // F16: 10 mantissa bits (relative 2^-11), subnormal step 2^-24; BF16: 7 bits (relative 2^-8)
            assertTrue(Math.abs(x[i] - f16[i]) <= Math.max(a * 0x1p-11, 0x1p-25), "F16 of " + x[i] + " = " + f16[i]);
            assertTrue(Math.abs(x[i] - bf16[i]) <= a * 0x1p-8, "BF16 of " + x[i] + " = " + bf16[i]);
        }
    }

    @Test
    void quantizingADequantizedBlockGivesItBack() {
        float[] x = randomBlocks(14);
        for (BlockFormat f : new BlockFormat[] {new Q8_0(), new Q4_0(), new F16(), new BF16(), new F32()}) {
            MemorySegment q = f.quantize(x);
            MemorySegment again = f.quantize(f.dequantize(q));
            assertArrayEquals(q.toArray(ValueLayout.JAVA_BYTE), again.toArray(ValueLayout.JAVA_BYTE), f.type().toString());
        }
    }

    @Test
    void f32IsExact() {
        float[] x = {Float.NaN, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 1.1f};
        assertArrayEquals(x, new F32().dequantize(new F32().quantize(x)));
    }
}
