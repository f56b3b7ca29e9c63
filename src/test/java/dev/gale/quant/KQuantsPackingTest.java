package dev.gale.quant;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The all-at-once unpacking of Q4_K / Q5_K scales and mins against the one-at-a-time definition. */
class KQuantsPackingTest {

    @Test
    void packedScalesAndMinsHoldEachSubBlocksValueInItsByte() {
        SplittableRandom rnd = new SplittableRandom(5);
        MemorySegment s = MemorySegment.ofArray(new byte[3 + 12 + 5]);
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < s.byteSize(); i++) {
                // every bit pattern, with all-ones and all-zeros bytes common
                int v = switch (rnd.nextInt(4)) {
                    case 0 -> 0xFF;
                    case 1 -> 0;
                    default -> rnd.nextInt(256);
                };
                s.set(ValueLayout.JAVA_BYTE, i, (byte) v);
            }
            long off = 3; // unaligned
            long scales = KQuants.packedScales(s, off);
            long mins = KQuants.packedMins(s, off);
            for (int j = 0; j < 8; j++) {
                assertEquals(KQuants.scale(s, off, j), (scales >>> (8 * j)) & 0xFF, "scale " + j + ", trial " + trial);
                assertEquals(KQuants.min(s, off, j), (mins >>> (8 * j)) & 0xFF, "min " + j + ", trial " + trial);
            }
        }
    }
}
