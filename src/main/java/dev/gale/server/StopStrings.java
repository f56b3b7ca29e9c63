package dev.gale.server;

import java.util.List;

/**
 * Ends generated text where a stop string first appears, while the text streams in: the text
 * stops before the first stop string to be complete (where two complete together, the longer). The
 * result does not depend on how the text is cut into pieces. The longest tail that could still begin a stop string is held back until the next piece shows
 * whether it does, so no part of a stop string is ever sent.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopStrings(List<String> stops) {
        for (String s : stops) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("empty stop string");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /** Takes the next piece of text; returns the text that can be sent now (empty once stopped). */
    String append(String piece) {
        if (stopped) {
            return "";
        }
        held.append(piece);
        // the match that completes first (then the longest of those): generation stops there
        int cut = -1;
        int end = Integer.MAX_VALUE;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (i + s.length() < end || i + s.length() == end && i < cut)) {
                cut = i;
                end = i + s.length();
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = held.substring(0, cut);
            held.setLength(0);
            return out;
        }
        int keep = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, held.length()); k > keep; k--) {
                if (endsWith(held, s, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The text still held back, at the end of generation (empty once stopped). */
    String flush() {
        String out = held.toString();
        held.setLength(0);
        return stopped ? "" : out;
    }

    /** Whether a stop string has been seen. */
    boolean stopped() {
        return stopped;
    }

    /** Whether {@code sb} ends with the first {@code k} characters of {@code s}. */
    private static boolean endsWith(StringBuilder sb, String s, int k) {
        int off = sb.length() - k;
        for (int i = 0; i < k; i++) {
            if (sb.charAt(off + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
