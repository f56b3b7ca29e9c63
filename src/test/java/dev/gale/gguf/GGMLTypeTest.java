package dev.gale.gguf;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins the GGML type table to ggml's {@code enum ggml_type} (ggml.h) and {@code type_traits}
 * (ggml.c: blck_size and sizeof(block_*) from ggml-common.h), written out by hand.
 */
class GGMLTypeTest {

    /** {name, id, elements per block, bytes per block}, from ggml's sources. */
    private static final Object[][] GGML = {
            {"F32", 0, 1, 4},
            {"F16", 1, 1, 2},
            {"Q4_0", 2, 32, 18},      // half d, 16 bytes of nibbles
            {"Q4_1", 3, 32, 20},      // half d, half m, 16
            {"Q5_0", 6, 32, 22},      // half d, 4 bytes qh, 16
            {"Q5_1", 7, 32, 24},      // half d, half m, 4, 16
            {"Q8_0", 8, 32, 34},      // half d, 32 int8
            {"Q8_1", 9, 32, 36},      // half d, half s, 32 int8
            {"Q2_K", 10, 256, 84},
            {"Q3_K", 11, 256, 110},
            {"Q4_K", 12, 256, 144},
            {"Q5_K", 13, 256, 176},
            {"Q6_K", 14, 256, 210},
            {"Q8_K", 15, 256, 292},   // float d, 256 int8, 16 int16 sums
            {"IQ2_XXS", 16, 256, 66},
            {"IQ2_XS", 17, 256, 74},
            {"IQ3_XXS", 18, 256, 98},
            {"IQ1_S", 19, 256, 50},
            {"IQ4_NL", 20, 32, 18},
            {"IQ3_S", 21, 256, 110},
            {"IQ2_S", 22, 256, 82},
            {"IQ4_XS", 23, 256, 136},
            {"I8", 24, 1, 1},
            {"I16", 25, 1, 2},
            {"I32", 26, 1, 4},
            {"I64", 27, 1, 8},
            {"F64", 28, 1, 8},
            {"IQ1_M", 29, 256, 56},
            {"BF16", 30, 1, 2},
            {"TQ1_0", 34, 256, 54},
            {"TQ2_0", 35, 256, 66},
            {"MXFP4", 39, 32, 17},    // E8M0 exponent, 16 bytes of E2M1 pairs
            {"NVFP4", 40, 64, 36},    // 4 E4M3 scales, 32 bytes of E2M1 pairs
            {"Q1_0", 41, 128, 18},
            {"Q2_0", 42, 64, 18},
    };

    @Test
    void tableMatchesGgml() {
        Set<GGMLType> seen = EnumSet.noneOf(GGMLType.class);
        for (Object[] row : GGML) {
            GGMLType t = GGMLType.valueOf((String) row[0]);
            assertEquals(row[1], t.id, t + " id");
            assertEquals(row[2], t.blockSize, t + " block size");
            assertEquals(row[3], t.typeSize, t + " bytes per block");
            assertSame(t, GGMLType.fromId(t.id));
            seen.add(t);
        }
        assertEquals(EnumSet.allOf(GGMLType.class), seen, "every GGMLType is pinned");
    }

    @Test
    void removedAndUnknownIdsAreUnknown() {
        // 4, 5 (Q4_2, Q4_3), 31..33 (Q4_0_4_4 ...), 36..38 (IQ4_NL_4_4 ...) were removed from ggml; 43 is GGML_TYPE_COUNT
        for (int id : new int[] {4, 5, 31, 32, 33, 36, 37, 38, 43, 63, 64, 1000, -1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertNull(GGMLType.fromId(id), "id " + id);
        }
    }

    @Test
    void byteSizeIsBlocksTimesBlockBytes() {
        assertEquals(34L * 4, GGMLType.Q8_0.byteSize(128));
        assertEquals(18L * 1, GGMLType.Q4_0.byteSize(32));
        assertEquals(210L * 2, GGMLType.Q6_K.byteSize(512));
        assertEquals(4L * 7, GGMLType.F32.byteSize(7));
        assertEquals(0, GGMLType.Q8_0.byteSize(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GGMLType.Q4_0.byteSize(33));
        assertTrue(e.getMessage().contains("Q4_0") && e.getMessage().contains("32"), e.getMessage());
        assertThrows(ArithmeticException.class, () -> GGMLType.F64.byteSize(Long.MAX_VALUE));
    }
}
