package dev.gale.quant;

import dev.gale.gguf.GGMLType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Q4_K blocks built byte by byte, with values worked out by hand from ggml's layout. */
class Q4_KTest {

    /**
     * d = 0.5, dmin = 0.25. Sub-block scales sc = 1, 2, 3, 4, 53, 10, 63, 47 and mins
     * m = 5, 6, 7, 8, 19, 33, 0, 56. Sub-blocks 4..7 split their 6 bits: the low 4 in byte j + 4
     * (scale low nibble, min high nibble), the top 2 in the top bits of byte j - 4 (scale) and j (min).
     */
    static byte[] block() {
        byte[] b = new byte[144];
        b[0] = 0x00; // d = 0.5 = F16 0x3800 (little-endian)
        b[1] = 0x38;
        b[2] = 0x00; // dmin = 0.25 = F16 0x3400
        b[3] = 0x34;
        int[] scales = {
            0xC1, // sc0 = 1, top bits 3 = sc4 >> 4 (53 = 0b11_0101)
            0x02, // sc1 = 2, top bits 0 = sc5 >> 4 (10 = 0b00_1010)
            0xC3, // sc2 = 3, top bits 3 = sc6 >> 4 (63 = 0b11_1111)
            0x84, // sc3 = 4, top bits 2 = sc7 >> 4 (47 = 0b10_1111)
            0x45, // m0 = 5, top bits 1 = m4 >> 4 (19 = 0b01_0011)
            0x86, // m1 = 6, top bits 2 = m5 >> 4 (33 = 0b10_0001)
            0x07, // m2 = 7, top bits 0 = m6 >> 4 (0)
            0xC8, // m3 = 8, top bits 3 = m7 >> 4 (56 = 0b11_1000)
            0x35, // sc4 low 5, m4 low 3
            0x1A, // sc5 low 10, m5 low 1
            0x0F, // sc6 low 15, m6 low 0
            0x8F, // sc7 low 15, m7 low 8
        };
        for (int i = 0; i < 12; i++) {
            b[4 + i] = (byte) scales[i];
        }
        // levels start at byte 16; group g (64 elements) is bytes 16 + 32g .. 16 + 32g + 31
        b[16 + 0] = (byte) 0x9A;       // element 0 (sub-block 0) = 10, element 32 (sub-block 1) = 9
        b[16 + 32 + 5] = (byte) 0xF0;  // element 69 (sub-block 2) = 0, element 101 (sub-block 3) = 15
        b[16 + 64 + 31] = (byte) 0x7C; // element 159 (sub-block 4) = 12, element 191 (sub-block 5) = 7
        b[16 + 96 + 0] = (byte) 0x3E;  // element 192 (sub-block 6) = 14, element 224 (sub-block 7) = 3
        return b;
    }

    static float[] dequantize(byte[] bytes) {
        return Formats.of(GGMLType.Q4_K).dequantize(MemorySegment.ofArray(bytes));
    }

    @Test
    void elementsOfEverySubBlock() {
        float[] y = dequantize(block());
        // value = (d * sc) * q - dmin * m
        assertEquals(3.75f, y[0]);     // 0.5*1*10 - 0.25*5 = 5 - 1.25
        assertEquals(-1.25f, y[1]);    // q = 0: -dmin * m0
        assertEquals(7.5f, y[32]);     // 0.5*2*9 - 0.25*6 = 9 - 1.5
        assertEquals(-1.75f, y[69]);   // 0.5*3*0 - 0.25*7
        assertEquals(28f, y[101]);     // 0.5*4*15 - 0.25*8 = 30 - 2
        assertEquals(313.25f, y[159]); // 0.5*53*12 - 0.25*19 = 318 - 4.75
        assertEquals(26.75f, y[191]);  // 0.5*10*7 - 0.25*33 = 35 - 8.25
        assertEquals(441f, y[192]);    // 0.5*63*14 - 0.25*0
        assertEquals(56.5f, y[224]);   // 0.5*47*3 - 0.25*56 = 70.5 - 14
        assertEquals(-14f, y[250]);    // high nibble of byte 16+96+26 = 0, sub-block 7: -0.25*56
    }

    @Test
    void eachSuperBlockUsesItsOwnScales() {
        byte[] one = block();
        byte[] two = new byte[288];
        System.arraycopy(one, 0, two, 0, 144);
        System.arraycopy(one, 0, two, 144, 144);
        two[145] = 0x3C; // second block's d = 1.0 (F16 0x3C00)
        float[] y = dequantize(two);
        assertEquals(3.75f, y[0]);
        assertEquals(8.75f, y[256]);      // 1*1*10 - 0.25*5
        assertEquals(631.25f, y[256 + 159]); // 1*53*12 - 0.25*19 = 636 - 4.75
    }

    @Test
    void packingRoundTripsAllScalesAndMins() {
        MemorySegment s = MemorySegment.ofArray(new byte[12]);
        int[] sc = {0, 63, 17, 42, 63, 1, 32, 48};
        int[] m = {63, 0, 5, 33, 16, 62, 15, 47};
        KQuants.packScalesAndMins(sc, m, s, 0);
        for (int j = 0; j < 8; j++) {
            assertEquals(sc[j], KQuants.scale(s, 0, j), "scale " + j);
            assertEquals(m[j], KQuants.min(s, 0, j), "min " + j);
        }
        MemorySegment hand = MemorySegment.ofArray(block()).asSlice(4, 12);
        int[] handSc = {1, 2, 3, 4, 53, 10, 63, 47};
        int[] handM = {5, 6, 7, 8, 19, 33, 0, 56};
        for (int j = 0; j < 8; j++) {
            assertEquals(handSc[j], KQuants.scale(hand, 0, j), "hand scale " + j);
            assertEquals(handM[j], KQuants.min(hand, 0, j), "hand min " + j);
        }
        KQuants.packScalesAndMins(handSc, handM, s, 0);
        assertEquals(hand.asByteBuffer(), s.asByteBuffer(), "packing the hand values gives the hand bytes");
    }
}
