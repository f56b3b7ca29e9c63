package dev.gale.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Opening corrupt files and checking the GGUFException they give. */
final class GGUFAssert {
    private GGUFAssert() {
    }

    /** The name in-memory test files get in errors. */
    static final Path IN_MEMORY = Path.of("in-memory.gguf");

    /** Parses bytes as {@link GGUFFile#open} parses a mapped file (without the cost of a file and a shared arena). */
    static GGUFFile parse(byte[] bytes) throws GGUFException {
        return GGUFFile.parse(IN_MEMORY, MemorySegment.ofArray(bytes), GGUFReader.DEFAULT_BUDGET);
    }

    /**
     * Writes {@code bytes} to a file, opens it, and asserts a GGUFException for that file whose field
     * contains {@code field}, at byte {@code offset} (-1: any), whose message contains each of
     * {@code words}.
     */
    static GGUFException rejects(Path dir, byte[] bytes, String field, long offset, String... words) throws IOException {
        Path p = Files.write(Files.createTempFile(dir, "corrupt", ".gguf"), bytes);
        GGUFException e = assertThrows(GGUFException.class, () -> GGUFFile.open(p).close(),
                "opening a corrupt file (" + field + ")");
        String m = e.getMessage();
        assertEquals(p, e.file());
        assertTrue(m.startsWith(p + ": "), "message names the file: " + m);
        assertTrue(e.field().contains(field), "field '" + e.field() + "' should name " + field + ": " + m);
        assertTrue(m.contains(e.field()), m);
        if (offset >= 0) {
            assertEquals(offset, e.offset(), "byte offset in: " + m);
            assertTrue(m.contains(" at byte " + offset + ": "), m);
        }
        for (String w : words) {
            assertTrue(m.contains(w), "message should contain '" + w + "': " + m);
        }
        return e;
    }

    static GGUFException rejects(Path dir, RawGGUF raw, String field, long offset, String... words) throws IOException {
        return rejects(dir, raw.bytes(), field, offset, words);
    }
}
