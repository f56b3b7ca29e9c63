package dev.gale.server;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stop strings over streamed text, against the plain definition: the text before the first match. */
class StopStringsTest {

    /** Streams {@code text} in the given piece sizes; returns what was let through. */
    private static String stream(String text, List<String> stops, int[] sizes) {
        StopStrings s = new StopStrings(stops);
        StringBuilder out = new StringBuilder();
        int at = 0;
        for (int i = 0; at < text.length(); i++) {
            int end = Math.min(text.length(), at + sizes[i % sizes.length]);
            out.append(s.append(text.substring(at, end)));
            at = end;
        }
        out.append(s.flush());
        return out.toString();
    }

    /** The definition: the stop string that is complete first (the longer on a tie) cuts the text at its start. */
    private static String expected(String text, List<String> stops) {
        for (int end = 1; end <= text.length(); end++) {
            int cut = -1;
            for (String s : stops) {
                if (end >= s.length() && text.startsWith(s, end - s.length()) && (cut < 0 || end - s.length() < cut)) {
                    cut = end - s.length();
                }
            }
            if (cut >= 0) {
                return text.substring(0, cut);
            }
        }
        return text;
    }

    @Test
    void handPickedCases() {
        assertEquals("hello ", stream("hello world", List.of("wor"), new int[] {1}));
        assertEquals("hello world", stream("hello world", List.of("xyz"), new int[] {3}));
        assertEquals("ab", stream("abcabd", List.of("cab", "bd"), new int[] {2}));
        assertEquals("", stream("stop here", List.of("stop"), new int[] {9}));
        assertEquals("a", stream("a\n\nb", List.of("\n\n"), new int[] {1}));
        // "a" is complete before "baa" is: the stop is at "a", in whatever pieces the text comes
        assertEquals("b", stream("baab", List.of("baa", "a"), new int[] {4}));
        assertEquals("b", stream("baab", List.of("baa", "a"), new int[] {1}));
        // a partial match at the end that never completes is let through
        assertEquals("the end wo", stream("the end wo", List.of("world"), new int[] {2}));
    }

    @Test
    void heldBackTextIsNeverAPrefixThatLaterFails() {
        StopStrings s = new StopStrings(List.of("</answer>"));
        assertEquals("x ", s.append("x </"));
        assertEquals("", s.append("ans"));
        assertEquals("</ansx", s.append("x"));
        assertFalse(s.stopped());
        assertEquals("y", s.append("y</answer>z"));
        assertTrue(s.stopped());
        assertEquals("", s.append("more"));
        assertEquals("", s.flush());
    }

    @Test
    void randomTextsAndPieceSizesMatchTheDefinition() {
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 2000; trial++) {
            String text = randomText(r, r.nextInt(0, 40));
            List<String> stops = List.of(randomText(r, r.nextInt(1, 4)), randomText(r, r.nextInt(1, 3)));
            int[] sizes = r.ints(5, 1, 6).toArray();
            assertEquals(expected(text, stops), stream(text, stops, sizes), text + " " + stops);
        }
    }

    @Test
    void anEmptyStopStringIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("a", "")));
    }

    private static String randomText(SplittableRandom r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("abc".charAt(r.nextInt(3)));
        }
        return sb.toString();
    }
}
