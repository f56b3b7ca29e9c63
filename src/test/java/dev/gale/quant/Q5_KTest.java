package dev.gale.quant;

import dev.gale.gguf.GGMLType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Q5_K blocks built byte by byte, with values worked out by hand from ggml's layout. */
class Q5_KTest {

    /**
     * The header of {@link Q4_KTest#block()} (d = 0.5, dmin = 0.25, sc = 1, 2, 3, 4, 53, 10, 63, 47,
     * m = 5, 6, 7, 8, 19, 33, 0, 56), qh at byte 16, the low nibbles at byte 48 laid out as in Q4_K.
     */
    static byte[] block() {
        byte[] b = new byte[176];
        System.arraycopy(Q4_KTest.block(), 0, b, 0, 16);
        b[48 + 0] = (byte) 0x9A;       // element 0: low 10; element 32: low 9
        b[48 + 32 + 5] = (byte) 0xF0;  // element 69: low 0; element 101: low 15
        b[48 + 64 + 31] = (byte) 0x7C; // element 159: low 12; element 191: low 7
        b[48 + 96 + 0] = (byte) 0x3E;  // element 192: low 14; element 224: low 3
        // qh[l] bit j is the 5th bit of element 32j + l
        b[16 + 0] = (byte) 0b1000_0001; // elements 0 and 224 (bits 0, 7) set; 32, 64, ..., 192 clear
        b[16 + 5] = (byte) 0b0000_1000; // element 101 (sub-block 3) set; element 69 (bit 2) clear
        b[16 + 31] = (byte) 0b0111_0000; // elements 159, 191, 223 (sub-blocks 4, 5, 6) set; 255 clear
        return b;
    }

    @Test
    void highBitsSelectedBySubBlockMask() {
        float[] y = Formats.of(GGMLType.Q5_K).dequantize(MemorySegment.ofArray(block()));
        // value = (d * sc) * (low + 16 * bit) - dmin * m
        assertEquals(11.75f, y[0]);    // 0.5*1*(10+16) - 0.25*5 = 13 - 1.25
        assertEquals(7.5f, y[32]);     // bit 1 of qh[0] clear: 0.5*2*9 - 0.25*6
        assertEquals(-1.75f, y[64]);   // bit 2 of qh[0] clear, low 0: -0.25*7
        assertEquals(-2f, y[96]);      // bit 3 of qh[0] clear, low 0: -0.25*8
        assertEquals(-4.75f, y[128]);  // bit 4 of qh[0] clear: -0.25*19
        assertEquals(-8.25f, y[160]);  // bit 5 of qh[0] clear: -0.25*33
        assertEquals(441f, y[192]);    // bit 6 of qh[0] clear: 0.5*63*14 - 0
        assertEquals(432.5f, y[224]);  // bit 7 of qh[0] set: 0.5*47*(3+16) - 0.25*56 = 446.5 - 14
        assertEquals(-1.75f, y[69]);   // bit 2 of qh[5] clear: 0.5*3*0 - 0.25*7
        assertEquals(60f, y[101]);     // bit 3 of qh[5] set: 0.5*4*(15+16) - 0.25*8 = 62 - 2
        assertEquals(737.25f, y[159]); // bit 4 of qh[31] set: 0.5*53*(12+16) - 0.25*19 = 742 - 4.75
        assertEquals(106.75f, y[191]); // bit 5 of qh[31] set: 0.5*10*(7+16) - 0.25*33 = 115 - 8.25
        assertEquals(504f, y[223]);    // bit 6 of qh[31] set, low 0: 0.5*63*16 - 0
        assertEquals(-14f, y[255]);    // bit 7 of qh[31] clear, low 0: -0.25*56
    }
}
