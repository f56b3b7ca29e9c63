package dev.gale.tokenizer;

/**
 * UTF-8 decoding that replaces each maximal ill-formed subpart with one U+FFFD (the Unicode
 * recommendation, also the WHATWG decoder's), defined here once so that decoding in pieces and
 * decoding at once agree: the JDK's decoder does not follow it everywhere (it reads "ED A0" at the
 * end of input as one broken character, but as two before other bytes).
 */
final class Utf8 {
    private Utf8() {
    }

    /** Bytes a character starting with {@code lead} has in all, or 0 if no character starts with it. */
    private static int length(int lead) {
        return lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    }

    /** Lowest valid second byte after {@code lead} (Unicode table 3-7). */
    private static int secondLow(int lead) {
        return lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
    }

    /** Highest valid second byte after {@code lead}. */
    private static int secondHigh(int lead) {
        return lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
    }

    /** The text of {@code b[from..to)}. */
    static String decode(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int lead = b[i] & 0xFF;
            int n = length(lead);
            if (n == 1) {
                sb.append((char) lead);
                i++;
                continue;
            }
            if (n == 0) {
                sb.append('\uFFFD');
                i++;
                continue;
            }
            int cp = lead & (0xFF >> (n + 1));
            int j = i + 1;
            int lo = secondLow(lead);
            int hi = secondHigh(lead);
            boolean ok = true;
            for (int k = 1; k < n; k++, j++) {
                if (j >= to || (b[j] & 0xFF) < lo || (b[j] & 0xFF) > hi) {
                    ok = false;
                    break;
                }
                cp = cp << 6 | (b[j] & 0x3F);
                lo = 0x80;
                hi = 0xBF;
            }
            if (ok) {
                sb.appendCodePoint(cp);
            } else {
                sb.append('\uFFFD'); // the maximal subpart b[i..j) is one replacement character
            }
            i = j;
        }
        return sb.toString();
    }

    /**
     * How many bytes at the end of {@code b[0..n)} are a proper prefix of a well-formed character,
     * which the next bytes may still complete (0 to 3); 0 if the bytes end in anything else.
     */
    static int incompleteTail(byte[] b, int n) {
        for (int k = 1; k <= Math.min(3, n); k++) {
            int lead = b[n - k] & 0xFF;
            if (lead >= 0x80 && lead <= 0xBF) {
                continue; // a continuation byte: the lead is further back
            }
            if (length(lead) <= k) {
                return 0; // complete, ASCII, or never a lead
            }
            if (k >= 2) {
                int second = b[n - k + 1] & 0xFF;
                if (second < secondLow(lead) || second > secondHigh(lead)) {
                    return 0;
                }
            }
            return k;
        }
        return 0;
    }
}
