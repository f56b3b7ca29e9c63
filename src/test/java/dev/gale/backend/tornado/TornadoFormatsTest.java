package dev.gale.backend.tornado;

import dev.gale.quant.BF16;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * fp16 and bf16 decoding inside a kernel, for every 16-bit pattern, bit for bit against Java's own
 * conversions (TornadoVM offers no correct conversion in kernels, so Gale does it arithmetically).
 * Subnormal bfloat16 values may come out as zero on devices that flush subnormal floats.
 */
class TornadoFormatsTest {

    public static void decodeAll(KernelContext ctx, FloatArray half, FloatArray bf16) {
        int i = ctx.globalIdx;
        if (i < 65536) {
            half.set(i, TornadoFormats.halfToFloat(i));
            bf16.set(i, TornadoFormats.bf16ToFloat(i));
        }
    }

    @Test
    void everyFiniteHalfAndBFloat16DecodesExactlyOnTheDevice() {
        FloatArray half = new FloatArray(65536);
        FloatArray bf16 = new FloatArray(65536);
        TornadoTestSupport.run((g, ctx) -> g.task("t", TornadoFormatsTest::decodeAll, ctx, half, bf16), 65536, 64,
                new Object[] {half, bf16}, half, bf16);
        int checked = 0;
        for (int bits = 0; bits < 65536; bits++) {
            if (((bits >> 10) & 0x1F) != 31) { // inf and NaN are not decoded
                float expected = Float.float16ToFloat((short) bits);
                int b = bits;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(half.get(bits)),
                        () -> String.format("fp16 0x%04x: expected %g, got %g", b, expected, half.get(b)));
                checked++;
            }
            int exponent = (bits >> 7) & 0xFF;
            if (exponent != 255) {
                float expected = BF16.toFloat((short) bits);
                float actual = bf16.get(bits);
                int b = bits;
                // subnormal floats may be flushed to zero, as OpenCL allows
                if (!(exponent == 0 && actual == 0f)) {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                            () -> String.format("bf16 0x%04x: expected %g, got %g", b, expected, actual));
                }
                checked++;
            }
        }
        assertEquals(63488 + 65280, checked);
    }
}
