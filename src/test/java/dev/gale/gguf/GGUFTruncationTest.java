package dev.gale.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every prefix of a valid file: a prefix that cuts into the header, metadata, tensor infos or any
 * tensor's data gives a GGUFException (never another exception); a prefix that only drops the
 * padding after the last tensor opens.
 */
class GGUFTruncationTest {
    @TempDir
    Path dir;

    @Test
    void everyPrefixOfAModelFile() throws IOException {
        byte[] full = GGUFSamples.small();
        Path p = dir.resolve("full.gguf");
        Files.write(p, full);
        long required;
        try (GGUFFile f = GGUFFile.open(p)) {
            long end = 0;
            for (GGUFTensorInfo t : f.tensors().values()) {
                end = Math.max(end, t.dataOffset() + t.byteSize());
            }
            required = f.dataStart() + end;
        }
        assertTrue(required < full.length, "the sample ends with padding");
        assertEquals(required, shortestThatOpens(full), "every prefix shorter than the data's end is rejected");
    }

    @Test
    void everyPrefixOfAMetadataOnlyFile() throws IOException {
        GGUFWriter w = new GGUFWriter();
        GGUFRoundTripTest.everyValue().forEach(w::put);
        byte[] full = w.toBytes();
        // without tensors the file is whole once the last value is read; only the padding may go
        int shortest = shortestThatOpens(full);
        assertTrue(shortest > full.length - GGUFFile.DEFAULT_ALIGNMENT, shortest + " of " + full.length);
    }

    /**
     * Parses every prefix and returns the length of the shortest that opens, checking that every
     * shorter one gives a GGUFException within its bytes and every longer one opens. Every 16th
     * prefix is also written to a file and opened as a mapped file, which must agree.
     */
    private int shortestThatOpens(byte[] full) throws IOException {
        Path p = dir.resolve("prefix.gguf");
        int shortest = -1;
        for (int len = 0; len <= full.length; len++) {
            byte[] prefix = Arrays.copyOf(full, len);
            if (len % 16 == 0) {
                Files.write(p, prefix);
                String viaFile = outcome(() -> GGUFFile.open(p));
                String inMemory = outcome(() -> GGUFAssert.parse(prefix)).replace(GGUFAssert.IN_MEMORY.toString(),
                        p.toString());
                assertEquals(inMemory, viaFile, "prefix of " + len + " bytes, mapped and in memory");
            }
            try (GGUFFile f = GGUFAssert.parse(prefix)) {
                if (shortest < 0) {
                    shortest = len;
                }
                assertTrue(f.metadata().size() + f.tensors().size() > 0);
            } catch (GGUFException e) {
                if (shortest >= 0) {
                    fail("prefix of " + len + " bytes was rejected though " + shortest + " bytes opened: " + e.getMessage());
                }
                assertTrue(e.offset() >= 0 && e.offset() <= len, "offset " + e.offset() + " within the " + len
                        + "-byte prefix: " + e.getMessage());
            } catch (RuntimeException | Error e) {
                throw new AssertionError("prefix of " + len + " bytes threw " + e + " instead of a GGUFException", e);
            }
        }
        assertTrue(shortest >= 0, "the whole file opens");
        return shortest;
    }

    private interface Opener {
        GGUFFile open() throws IOException;
    }

    /** "ok" or the GGUFException's message; any other exception fails. */
    private static String outcome(Opener o) {
        try (GGUFFile f = o.open()) {
            return "ok " + f.metadata().size() + " " + f.tensors().size();
        } catch (GGUFException e) {
            return e.getMessage();
        } catch (IOException | RuntimeException | Error e) {
            throw new AssertionError("threw " + e + " instead of a GGUFException", e);
        }
    }
}
