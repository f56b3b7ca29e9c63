package dev.gale.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of tokens into text. Byte tokens may split a UTF-8 character across tokens; the
 * decoder holds back an incomplete character until its last byte arrives, so streamed output
 * never shows a broken character. Bytes that can never form a character come out as U+FFFD.
 */
public final class TokenDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    TokenDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the text that is now complete (possibly empty). */
    public String append(int token) {
        pending.writeBytes(tokenizer.bytes(token));
        byte[] b = pending.toByteArray();
        int complete = completePrefix(b);
        pending.reset();
        pending.write(b, complete, b.length - complete);
        return new String(b, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever is still held back, with broken characters as U+FFFD. */
    public String flush() {
        byte[] b = pending.toByteArray();
        pending.reset();
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Length of the longest prefix that does not end inside a character that may still be
     * completed: everything except a trailing, valid-so-far, incomplete UTF-8 sequence.
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // look back at most 3 bytes for the start of a multi-byte sequence
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead
            }
            int need = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
