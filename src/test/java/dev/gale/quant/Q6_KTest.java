package dev.gale.quant;

import dev.gale.gguf.GGMLType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Q6_K blocks built byte by byte, with values worked out by hand from ggml's layout. */
class Q6_KTest {

    /**
     * ql at byte 0, qh at 128, 16 signed scales at 192, d = 0.5 at 208. Scales are
     * 1, -2, 3, 127, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -128. Element 128h + 32k + l takes low
     * bits from ql[64h + l + 32(k % 2)] (low nibble for k &lt; 2) and bits 2k..2k+1 of qh[32h + l].
     */
    static byte[] block() {
        byte[] b = new byte[210];
        int[] scales = {1, -2, 3, 127, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -128};
        for (int i = 0; i < 16; i++) {
            b[192 + i] = (byte) scales[i];
        }
        b[208] = 0x00; // d = 0.5 = F16 0x3800
        b[209] = 0x38;
        b[0] = 0x5F;                     // element 0 low 15, element 64 low 5
        b[128] = (byte) 0b11_10_01_11;   // high bits: element 0: 3, 32: 1, 64: 2, 96: 3
        b[32] = 0x02;                    // element 32 low 2, element 96 low 0
        b[55] = 0x0C;                    // element 55 (k = 1, l = 23) low 12
        b[128 + 23] = 0b00_00_11_00;     // element 55 high 3
        b[64 + 16 + 32] = 0x07;          // element 176 (h = 1, k = 1, l = 16) low 7
        b[128 + 32 + 16] = 0b00_00_10_00; // element 176 high 2
        b[64 + 31 + 32] = (byte) 0xA0;   // element 255 (h = 1, k = 3, l = 31) low 10
        b[128 + 32 + 31] = 0b01_00_00_00; // element 255 high 1
        return b;
    }

    @Test
    void lowAndHighBitsAndSignedScales() {
        float[] y = Formats.of(GGMLType.Q6_K).dequantize(MemorySegment.ofArray(block()));
        // value = (d * scale[i / 16]) * ((low | high << 4) - 32)
        assertEquals(15.5f, y[0]);     // (15 | 3<<4) - 32 = 31; 0.5*1*31
        assertEquals(-21f, y[32]);     // (2 | 1<<4) - 32 = -14; scale[2] = 3: 0.5*3*-14
        assertEquals(12.5f, y[64]);    // (5 | 2<<4) - 32 = 5; scale[4] = 5: 0.5*5*5
        assertEquals(56f, y[96]);      // (0 | 3<<4) - 32 = 16; scale[6] = 7: 0.5*7*16
        assertEquals(-16f, y[1]);      // all bits 0: q = -32; 0.5*1*-32
        assertEquals(32f, y[17]);      // q = -32, scale[1] = -2: 0.5*-2*-32
        assertEquals(1778f, y[55]);    // (12 | 3<<4) - 32 = 28; scale[3] = 127: 0.5*127*28
        assertEquals(42f, y[176]);     // (7 | 2<<4) - 32 = 7; scale[11] = 12: 0.5*12*7
        assertEquals(384f, y[255]);    // (10 | 1<<4) - 32 = -6; scale[15] = -128: 0.5*-128*-6
        assertEquals(2048f, y[240]);   // q = -32, scale[15] = -128: 0.5*-128*-32
    }
}
