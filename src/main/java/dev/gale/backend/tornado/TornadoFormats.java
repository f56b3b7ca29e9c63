package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * GGML block decoding that TornadoVM can compile into a kernel: the same layouts as
 * {@link dev.gale.quant.Q8_0}, {@link dev.gale.quant.Q4_0}, {@link dev.gale.quant.F16} and
 * {@link dev.gale.quant.BF16}, read
 * byte by byte from the tensor's GGUF bytes on the device.
 *
 * <p>fp16 is decoded with integer and float arithmetic only. {@code Float.float16ToFloat} compiles
 * but TornadoVM 5.2 turns it into a numeric conversion (wrong values), {@code Float.intBitsToFloat}
 * does not compile for OpenCL, and the {@code half} type needs cl_khr_fp16, which CPUs such as PoCL
 * lack. bfloat16 likewise (a device that flushes subnormal floats to zero flushes the subnormal
 * bfloat16 values, which do not occur in weights either). Inf and NaN (all-ones exponent) do not occur in model weights and are not decoded.
 */
final class TornadoFormats {
    static final int QK = 32;
    static final int Q8_0_BYTES = 34;
    static final int Q4_0_BYTES = 18;

    private TornadoFormats() {
    }

    /** The fp16 value of the low 16 bits of {@code h}: (-1)^s * significand * 2^(exponent - 25). */
    static float halfToFloat(int h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 10) & 0x1F;
        int mant = h & 0x3FF;
        int significand = exp == 0 ? mant : (mant | 0x400);
        int e = exp == 0 ? 1 : exp;
        float magnitude = (float) significand * (float) (1 << e) * 2.9802322387695312E-8f; // 2^-25
        return sign == 1 ? -magnitude : magnitude;
    }

    /**
     * The bfloat16 value of the low 16 bits of {@code h}: (-1)^s * significand * 2^(exponent - 134).
     * The power of two is built from three exact factors so no intermediate overflows or rounds.
     */
    static float bf16ToFloat(int h) {
        int sign = (h >> 15) & 1;
        int exp = (h >> 7) & 0xFF;
        int mant = h & 0x7F;
        int significand = exp == 0 ? mant : (mant | 0x80);
        int k = (exp == 0 ? 1 : exp) - 134;
        int a = k / 3;
        int b = (k - a) / 2;
        int c = k - a - b;
        float magnitude = (float) significand * pow2(a) * pow2(b) * pow2(c);
        return sign == 1 ? -magnitude : magnitude;
    }

    /** 2^k for |k| &lt;= 62, exactly (no division: OpenCL's float division may be off by 2.5 ulp). */
    static float pow2(int k) {
        return k >= 0 ? (float) (1L << k) : (float) (1L << (k + 62)) * 2.168404344971009E-19f; // 2^-62
    }

    /** The little-endian fp16 at byte {@code offset}. */
    static float half(ByteArray b, int offset) {
        return halfToFloat((b.get(offset) & 0xFF) | ((b.get(offset + 1) & 0xFF) << 8));
    }

    /** Element {@code c} of an F16 row starting at byte {@code row}. */
    static float f16(ByteArray w, int row, int c) {
        return half(w, row + 2 * c);
    }

    /** Element {@code c} of a BF16 row starting at byte {@code row}. */
    static float bf16(ByteArray w, int row, int c) {
        int at = row + 2 * c;
        return bf16ToFloat((w.get(at) & 0xFF) | ((w.get(at + 1) & 0xFF) << 8));
    }

    /** Element {@code c} of a Q8_0 row starting at byte {@code row}: d * q[c]. */
    static float q8_0(ByteArray w, int row, int c) {
        int block = row + (c / QK) * Q8_0_BYTES;
        return half(w, block) * w.get(block + 2 + c % QK);
    }

    /** Element {@code c} of a Q4_0 row starting at byte {@code row}: d * (nibble - 8). */
    static float q4_0(ByteArray w, int row, int c) {
        int block = row + (c / QK) * Q4_0_BYTES;
        int j = c % QK;
        int b = w.get(block + 2 + (j & 15));
        return half(w, block) * (j < 16 ? low(b) : high(b));
    }

    /**
     * One Q8_0 block (at byte {@code block}) times x[from .. from + 32): d * sum q[i] * x[i]. Two
     * elements per iteration, j and j + 16 as in Q4_0: PoCL runs this form about 1.5x faster.
     */
    static float dotQ8_0(ByteArray w, int block, FloatArray x, int from) {
        float dot = 0f;
        for (int j = 0; j < QK / 2; j++) {
            dot += w.get(block + 2 + j) * x.get(from + j) + w.get(block + 2 + QK / 2 + j) * x.get(from + QK / 2 + j);
        }
        return half(w, block) * dot;
    }

    /** One Q4_0 block times x[from .. from + 32): byte j holds elements j and j + 16. */
    static float dotQ4_0(ByteArray w, int block, FloatArray x, int from) {
        float dot = 0f;
        for (int j = 0; j < QK / 2; j++) {
            int q = w.get(block + 2 + j);
            dot += low(q) * x.get(from + j) + high(q) * x.get(from + j + QK / 2);
        }
        return half(w, block) * dot;
    }

    /*
     * The Q4_0 nibbles of a (sign-extended) byte, minus 8. Written with signed arithmetic only:
     * TornadoVM 5.2 compiles ((b & 0xFF) >> 4) - 8 with unsigned ints, so the subtraction wraps
     * around to 4e9 instead of going negative.
     */

    /** Low nibble - 8: element j of a Q4_0 block, from byte j. */
    static int low(int b) {
        return (b & 0x0F) - 8;
    }

    /** High nibble - 8: element j + 16 of a Q4_0 block, from byte j. */
    static int high(int b) {
        return ((b >> 4) & 0x0F) - 8;
    }
}
