package dev.gale.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Utf8Test {
    private static String decode(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return Utf8.decode(b, 0, b.length);
    }

    private static int tail(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return Utf8.incompleteTail(b, b.length);
    }

    @Test
    void unicodeStandardExample() {
        // The Unicode Standard, chapter 3, table 3-8 ("U+FFFD for each maximal subpart")
        assertEquals("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd",
                decode(0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64));
    }

    @Test
    void illFormedSequences() {
        assertEquals("\uFFFD\uFFFD\uFFFD", decode(0xED, 0xA0, 0x80));       // a surrogate
        assertEquals("\uFFFD\uFFFD", decode(0xED, 0xA0));                    // ... the same at the end
        assertEquals("\uFFFD\uFFFD\uFFFD", decode(0xE0, 0x80, 0x80));       // overlong
        assertEquals("\uFFFD\uFFFD", decode(0xC0, 0xAF));                    // overlong '/'
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD", decode(0xF4, 0x90, 0x80, 0x80)); // above U+10FFFF
        assertEquals("\uFFFD", decode(0xF0, 0x9F, 0x98));                    // truncated at the end
        assertEquals("\uFFFDA", decode(0xF0, 0x9F, 0x98, 0x41));             // truncated before A
        assertEquals("\uFFFDA", decode(0xFF, 0x41));
        assertEquals("\u0000", decode(0x00));
    }

    @Test
    void wellFormedTextDecodesAsTheJdkDoes() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int round = 0; round < 2000; round++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rnd.nextInt(8); i > 0; i--) {
                int cp;
                do {
                    cp = switch (rnd.nextInt(4)) {
                        case 0 -> rnd.nextInt(0x80);
                        case 1 -> rnd.nextInt(0x80, 0x800);
                        case 2 -> rnd.nextInt(0x800, 0x10000);
                        default -> rnd.nextInt(0x10000, 0x110000);
                    };
                } while (cp >= 0xD800 && cp <= 0xDFFF);
                sb.appendCodePoint(cp);
            }
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            assertEquals(sb.toString(), Utf8.decode(b, 0, b.length));
            assertEquals(0, Utf8.incompleteTail(b, b.length));
        }
    }

    @Test
    void incompleteTails() {
        assertEquals(1, tail(0x41, 0xC3));          // é's first byte
        assertEquals(2, tail(0xE2, 0x82));          // €'s first two
        assertEquals(3, tail(0xF0, 0x9F, 0x98));    // 😀's first three
        assertEquals(0, tail(0xF0, 0x9F, 0x98, 0x80));
        assertEquals(0, tail(0xE0, 0x80));          // E0 needs A0..BF: can never complete
        assertEquals(0, tail(0xED, 0xA0));          // would be a surrogate
        assertEquals(0, tail(0xF4, 0x90));          // would be above U+10FFFF
        assertEquals(0, tail(0xC1));                // never a lead
        assertEquals(0, tail(0x80, 0x80, 0x80));    // stray continuations
        assertEquals(0, tail());
    }
}
