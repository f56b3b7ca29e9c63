package dev.gale.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The window and slot rules, on values worked out by hand. */
class CacheLayoutTest {

    @Test
    void windowOfFourSeesTheFourMostRecentPositionsItselfIncluded() {
        CacheLayout l = CacheLayout.of(4, 100);
        assertEquals(4, l.slots());
        assertEquals(0, l.firstVisible(0));
        assertEquals(0, l.firstVisible(3));  // keys 0..3: four of them
        assertEquals(1, l.firstVisible(4));  // keys 1..4
        assertEquals(7, l.firstVisible(10)); // keys 7..10
        assertEquals(0, l.slot(0));
        assertEquals(3, l.slot(3));
        assertEquals(0, l.slot(4));          // position 4 overwrites position 0, which it no longer sees
        assertEquals(2, l.slot(10));
    }

    @Test
    void noWindowMeansEveryPositionAndOneSlotEach() {
        CacheLayout l = CacheLayout.of(0, 16);
        assertEquals(16, l.slots());
        assertEquals(0, l.firstVisible(15));
        assertEquals(15, l.slot(15));
    }

    @Test
    void windowLargerThanTheContextNeedsOnlyTheContext() {
        CacheLayout l = CacheLayout.of(4096, 1000);
        assertEquals(1000, l.slots());
        assertEquals(0, l.firstVisible(999));
    }

    @Test
    void bytesFollowTheFormula() {
        // Mistral 7B v0.1: 32 layers x 4096 slots x 1024 (8 KV heads x 128) x K and V x 4 bytes = 1 GiB
        assertEquals(1L << 30, CacheLayout.of(4096, 32768).bytes(32, 1024, 4));
    }
}
