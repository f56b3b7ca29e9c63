package dev.gale.tokenizer;

import java.util.Arrays;

/**
 * Turns a stream of tokens into text. Byte tokens may split a UTF-8 character across tokens; the
 * decoder holds back the end of the bytes only while it is the valid beginning of a character that
 * the next bytes may complete (at most 3 bytes), so streamed output never shows a broken character
 * and never stalls on bytes that cannot become one: those come out at once as U+FFFD (one per
 * maximal ill-formed subpart, see {@link Utf8}).
 *
 * <p>Each token is shown as llama.cpp's {@code token_to_piece} with no leading-space stripping (as
 * llama.cpp's streaming examples print generated tokens). The streamed pieces plus {@link #flush()}
 * always equal decoding all the bytes at once.
 */
public final class TokenDecoder {
    private final Tokenizer tokenizer;
    private final boolean unparseSpecial;
    private byte[] pending = new byte[16];
    private int size;

    TokenDecoder(Tokenizer tokenizer, boolean unparseSpecial) {
        this.tokenizer = tokenizer;
        this.unparseSpecial = unparseSpecial;
    }

    /** Adds a token; returns the text that is now complete (possibly empty). */
    public String append(int token) {
        return append(tokenizer.bytes(token, unparseSpecial));
    }

    /** Adds raw bytes; returns the text that is now complete (possibly empty). */
    String append(byte[] bytes) {
        if (size + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, size + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, size, bytes.length);
        size += bytes.length;
        int complete = size - Utf8.incompleteTail(pending, size);
        String text = Utf8.decode(pending, 0, complete);
        System.arraycopy(pending, complete, pending, 0, size - complete);
        size -= complete;
        return text;
    }

    /** Whatever is still held back (an unfinished character comes out as U+FFFD); resets the decoder. */
    public String flush() {
        String text = Utf8.decode(pending, 0, size);
        size = 0;
        return text;
    }
}
