package dev.gale.quant;

import dev.gale.gguf.GGMLType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Q8_0 and Q4_0 blocks written byte by byte, decoded and encoded against values worked out by hand. */
class BlockFormatTest {

    private static MemorySegment bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            a[i] = (byte) b[i];
        }
        return MemorySegment.ofArray(a);
    }

    private static int[] q8Block(int halfScale, int... qs) {
        int[] b = new int[34];
        b[0] = halfScale & 0xFF;
        b[1] = halfScale >>> 8;
        System.arraycopy(qs, 0, b, 2, 32);
        return b;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void q8_0Dequantize() {
        // block 0: d = 0x3800 = 0.5; block 1: d = 0xC000 = -2.0
        int[] q0 = {-128, -1, 0, 1, 127, 3, -3, 100, 0, 0, 0, 0, 0, 0, 0, 0,
                2, 4, 6, 8, 10, 12, 14, 16, -2, -4, -6, -8, -10, -12, -14, -16};
        int[] q1 = {1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -127, -128};
        MemorySegment src = bytes(concat(q8Block(0x3800, q0), q8Block(0xC000, q1)));
        float[] expected = {
                -64f, -0.5f, 0f, 0.5f, 63.5f, 1.5f, -1.5f, 50f, 0, 0, 0, 0, 0, 0, 0, 0,
                1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8,
                -2f, -4f, -6f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f,
                -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, 254f, 256f};
        assertArrayEquals(expected, new Q8_0().dequantize(src));
        float[] second = new float[34];
        new Q8_0().dequantize(src, 34, second, 2, 32); // the second block alone, into the middle of an array
        assertEquals(-2f, second[2]);
        assertEquals(256f, second[33]);
        assertEquals(0f, second[0]);
    }

    @Test
    void q8_0DequantizeSubnormalScale() {
        int[] q = new int[32];
        q[0] = 127;
        q[1] = -1;
        float[] out = new Q8_0().dequantize(bytes(q8Block(0x0001, q))); // d = 2^-24, the smallest half
        assertEquals(127 * 0x1p-24f, out[0]);
        assertEquals(-0x1p-24f, out[1]);
    }

    @Test
    void q4_0Dequantize() {
        // d = 0x3800 = 0.5. Byte j holds element j (low nibble) and element j + 16 (high nibble); value d * (nibble - 8)
        int[] block = new int[18];
        block[0] = 0x00;
        block[1] = 0x38;
        block[2] = 0x80; // element 0: nibble 0 -> -4.0; element 16: nibble 8 -> 0
        block[3] = 0xF7; // element 1: 7 -> -0.5;        element 17: 15 -> 3.5
        block[4] = 0x1F; // element 2: 15 -> 3.5;        element 18: 1 -> -3.5
        block[5] = 0x59; // element 3: 9 -> 0.5;         element 19: 5 -> -1.5
        for (int j = 6; j < 18; j++) {
            block[j] = 0x88; // zeros
        }
        float[] expected = {
                -4f, -0.5f, 3.5f, 0.5f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0f, 3.5f, -3.5f, -1.5f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertArrayEquals(expected, new Q4_0().dequantize(bytes(block)));
    }

    @Test
    void q8_0QuantizeRoundsHalvesAwayFromZeroAsGgml() {
        float[] x = new float[32];
        x[0] = 127f;     // amax: d = 127 / 127 = 1
        x[1] = -63.5f;   // roundf -> -64 (Math.round would give -63)
        x[2] = 2.5f;     // -> 3
        x[3] = -2.5f;    // -> -3
        x[4] = 0.49999997f; // -> 0
        x[5] = -0.5f;    // -> -1
        x[6] = -127f;
        MemorySegment q = new Q8_0().quantize(x);
        int[] expected = new int[34];
        expected[1] = 0x3C; // d = 1.0 = 0x3C00
        int[] qs = {127, -64, 3, -3, 0, -1, -127};
        for (int i = 0; i < qs.length; i++) {
            expected[2 + i] = qs[i] & 0xFF;
        }
        assertArrayEquals(bytesOf(expected), q.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void q8_0QuantizeScale() {
        float[] x = new float[32];
        x[7] = -1f;    // amax 1: d = 1/127, stored as the nearest half 0x2008 (0.0078777...)
        x[8] = 0.25f;  // 0.25 * 127 = 31.75 -> 32
        byte[] q = new Q8_0().quantize(x).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(0x08, q[0] & 0xFF);
        assertEquals(0x20, q[1] & 0xFF);
        assertEquals(-127, q[2 + 7]);
        assertEquals(32, q[2 + 8]);
    }

    @Test
    void q4_0Quantize() {
        float[] x = new float[32];
        x[0] = -8f;  // the largest magnitude, negative: d = -8 / -8 = 1, nibble trunc(-8 + 8.5) = 0
        x[1] = 7.5f; // trunc(16.0) = 16, clipped to 15
        x[2] = -0.5f; // trunc(8.0) = 8
        x[3] = 3.2f; // trunc(11.7) = 11
        x[16] = 1f;  // high nibble of byte 0: trunc(9.5) = 9
        x[17] = -3f; // high nibble of byte 1: trunc(5.5) = 5
        byte[] q = new Q4_0().quantize(x).toArray(ValueLayout.JAVA_BYTE);
        int[] expected = new int[18];
        expected[1] = 0x3C; // d = 1.0
        expected[2] = 0x90;
        expected[3] = 0x5F;
        expected[4] = 0x88;
        expected[5] = 0x8B;
        for (int j = 6; j < 18; j++) {
            expected[j] = 0x88;
        }
        assertArrayEquals(bytesOf(expected), q);
    }

    @Test
    void q4_0QuantizePositiveMaximumFlipsTheScale() {
        float[] x = new float[32];
        x[0] = 8f;   // d = 8 / -8 = -1: nibble trunc(-8 + 8.5) = 0, decoded -1 * (0 - 8) = 8
        x[1] = -8f;  // trunc(8 + 8.5) = 16, clipped to 15: decoded -1 * 7 = -7 (GGML's asymmetric range)
        byte[] q = new Q4_0().quantize(x).toArray(ValueLayout.JAVA_BYTE);
        assertEquals(0x00, q[0] & 0xFF);
        assertEquals(0xBC, q[1] & 0xFF); // -1.0 = 0xBC00
        float[] back = new Q4_0().dequantize(MemorySegment.ofArray(q));
        assertEquals(8f, back[0]);
        assertEquals(-7f, back[1]);
        assertEquals(-0f, back[2]); // -1 * (8 - 8)
    }

    @Test
    void allZeroBlocks() {
        float[] zeros = new float[64];
        MemorySegment q8 = new Q8_0().quantize(zeros);
        assertEquals(0x0000, q8.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0), "Q8_0 scale 0 / 127 = +0");
        assertArrayEquals(zeros, new Q8_0().dequantize(q8));
        MemorySegment q4 = new Q4_0().quantize(zeros);
        assertEquals((short) 0x8000, q4.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0), "Q4_0 scale 0 / -8 = -0, as in ggml");
        assertEquals((byte) 0x88, q4.get(ValueLayout.JAVA_BYTE, 2), "nibbles 8: zero");
        for (float v : new Q4_0().dequantize(q4)) {
            assertEquals(0.0, v, 0.0); // -0 * (8 - 8): a zero of either sign
        }
    }

    @Test
    void partialBlocksAreRefused() {
        for (GGMLType t : Formats.supported()) {
            BlockFormat f = Formats.of(t);
            if (t.blockSize > 1) {
                assertThrows(IllegalArgumentException.class, () -> f.quantize(new float[t.blockSize + 1]));
                assertThrows(IllegalArgumentException.class, () -> f.dequantize(MemorySegment.ofArray(new byte[t.typeSize]),
                        0, new float[64], 0, t.blockSize - 1));
            }
            assertThrows(IllegalArgumentException.class,
                    () -> f.dequantize(MemorySegment.ofArray(new byte[t.typeSize * 2 + 1])));
            assertThrows(IllegalArgumentException.class, () -> f.dequantize(MemorySegment.ofArray(new byte[8]), 0,
                    new float[8], 0, -t.blockSize));
        }
    }

    private static byte[] bytesOf(int[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }
}
