package dev.gale.quant;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** F16 and BF16 against values worked out by hand: subnormals, infinities, NaN, round-to-nearest-even. */
class HalfPrecisionTest {
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MemorySegment halves(int... bits) {
        MemorySegment s = MemorySegment.ofArray(new byte[2 * bits.length]);
        for (int i = 0; i < bits.length; i++) {
            s.set(LE, 2L * i, (short) bits[i]);
        }
        return s;
    }

    private static int[] encoded(BlockFormat f, float... x) {
        MemorySegment s = f.quantize(x);
        int[] out = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = s.get(LE, 2L * i) & 0xFFFF;
        }
        return out;
    }

    @Test
    void f16Decode() {
        float[] got = new F16().dequantize(halves(
                0x3C00, 0xC000, 0x7BFF, 0x0400, 0x03FF, 0x0001, 0x8001, 0x8000,
                0x7C00, 0xFC00, 0x3555, 0x3800));
        float[] expected = {
                1f, -2f, 65504f, 0x1p-14f, 1023 * 0x1p-24f, 0x1p-24f, -0x1p-24f, -0f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.333251953125f, 0.5f};
        assertArrayEquals(expected, got);
    }

    @Test
    void f16DecodeNaN() {
        float[] got = new F16().dequantize(halves(0x7E00, 0x7C01, 0xFFFF));
        for (float v : got) {
            assertTrue(Float.isNaN(v), String.valueOf(v));
        }
    }

    @Test
    void f16EncodeRoundsToNearestEven() {
        assertArrayEquals(new int[] {
                0x3C00, // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: even is 1
                0x3C02, // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9: even is 0x3C02
                0x3C01, // just above the halfway point rounds up
                0x7BFF, // 65519 is below the halfway point to 65536: the largest half
                0x7C00, // 65520 is halfway: rounds to even, infinity
                0x0000, // 2^-25, half the smallest subnormal: even is 0
                0x0002, // 3 * 2^-25 is halfway between 1 and 2 subnormal steps: even is 2
                0x8000, // -0
                0x0000, // 1e-8 underflows
                0xFC00, // -infinity
        }, encoded(new F16(), 1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 1 + 0x1p-11f + 0x1p-20f, 65519f, 65520f,
                0x1p-25f, 3 * 0x1p-25f, -0f, 1e-8f, Float.NEGATIVE_INFINITY));
        int nan = encoded(new F16(), Float.NaN)[0];
        assertEquals(0x7C00, nan & 0x7C00, "NaN stays NaN");
        assertTrue((nan & 0x03FF) != 0, "NaN stays NaN");
    }

    @Test
    void bf16Decode() {
        float[] got = new BF16().dequantize(halves(0x3F80, 0xC040, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x4049));
        float[] expected = {1f, -3f, 0x1p-133f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3.140625f};
        assertArrayEquals(expected, got);
        assertTrue(Float.isNaN(new BF16().dequantize(halves(0x7FC0))[0]));
    }

    @Test
    void bf16EncodeRoundsToNearestEven() {
        assertArrayEquals(new int[] {
                0x3F80, // 1.0
                0x3F80, // 0x3F808000 is halfway between 0x3F80 and 0x3F81: even is 0x3F80
                0x3F82, // 0x3F818000 is halfway between 0x3F81 and 0x3F82: even is 0x3F82
                0x3F81, // 0x3F808001 is past halfway
                0x3F80, // 0x3F807FFF is short of halfway
                0x7F80, // the largest float rounds up to infinity, as in ggml
                0x8000, // -0
                0x0000, // 0x00008000: a subnormal halfway to 0x0001, even is 0
                0x0002, // 0x00018000: halfway between 0x0001 and 0x0002
                0x7F80, // infinity
                0x4049, // pi = 0x40490FDB rounds down
        }, encoded(new BF16(), bits(0x3F800000), bits(0x3F808000), bits(0x3F818000), bits(0x3F808001),
                bits(0x3F807FFF), Float.MAX_VALUE, -0f, bits(0x00008000), bits(0x00018000), Float.POSITIVE_INFINITY,
                (float) Math.PI));
    }

    @Test
    void bf16EncodeKeepsNaNQuiet() {
        // a signalling NaN whose payload is only in the low 16 bits would become infinity if truncated
        assertArrayEquals(new int[] {0x7FC0, 0x7FC0, 0xFFC0, 0x7FC1},
                encoded(new BF16(), bits(0x7FC00000), bits(0x7F800001), bits(0xFF800001), bits(0x7FC10000)));
    }

    @Test
    void everyHalfSurvivesARoundTrip() {
        for (int h = 0; h < 0x10000; h++) {
            MemorySegment s = halves(h);
            float f16 = new F16().dequantize(s)[0];
            float bf16 = new BF16().dequantize(s)[0];
            if (!Float.isNaN(f16)) {
                assertEquals(h, encoded(new F16(), f16)[0], "F16 " + Integer.toHexString(h));
            }
            if (!Float.isNaN(bf16)) {
                assertEquals(h, encoded(new BF16(), bf16)[0], "BF16 " + Integer.toHexString(h));
            }
        }
    }

    @Test
    void encodingPicksTheNearestRepresentable() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 20_000; i++) {
            float x = Float.intBitsToFloat(rnd.nextInt() & 0x7FFFFFFF);
            if (Float.isNaN(x) || Float.isInfinite(x)) {
                continue;
            }
            int b = BF16.fromFloat(x) & 0xFFFF;
            if (b == 0x7F80) {
                continue; // above the largest BF16 plus half a step: infinity, as IEEE rounding says
            }
            double err = Math.abs((double) x - BF16.toFloat((short) b));
            for (int neighbour : new int[] {b - 1, b + 1}) {
                float n = BF16.toFloat((short) neighbour);
                if (!Float.isNaN(n) && neighbour >= 0 && neighbour < 0x7F81) {
                    assertTrue(err <= Math.abs((double) x - n), "BF16 of " + x + " is not the nearest");
                }
            }
        }
    }

    private static float bits(int b) {
        return Float.intBitsToFloat(b);
    }
}
