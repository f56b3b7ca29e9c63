package dev.gale.gguf;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutates a valid file (random bytes, and every 4- and 8-byte window of the header set to extreme
 * values) and asserts that opening either succeeds, giving tensors inside the file, or throws a
 * GGUFException: never another exception, an OutOfMemoryError or a hang. Seeds are fixed.
 */
@Timeout(120) // a guard against hangs, not a speed test
class GGUFFuzzTest {
    private static byte[] sample;
    /** Bytes before the tensor data: where the parser looks. */
    private static int headerEnd;

    @BeforeAll
    static void sample() throws GGUFException {
        sample = GGUFSamples.small();
        try (GGUFFile f = GGUFAssert.parse(sample)) {
            headerEnd = (int) f.dataStart();
        }
    }

    private static final long[] EXTREME_LONGS = {0, 1, -1, 2, 7, 31, 32, 33, 255, 256, 65535, 65536,
            Integer.MAX_VALUE, 1L << 31, 0xFFFF_FFFFL, 1L << 32, 1L << 40, 1L << 61, 1L << 62, Long.MAX_VALUE,
            Long.MAX_VALUE - 31, Long.MIN_VALUE, -32, -2};

    private static final int[] EXTREME_INTS = {0, 1, -1, 2, 3, 4, 5, 8, 9, 12, 13, 30, 31, 43, 64, 255,
            Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7F7F7F7F, 1 << 24};

    @Test
    void everyEightByteWindowOfTheHeaderSetToExtremes() {
        int cases = 0;
        for (int pos = 0; pos + 8 <= headerEnd; pos++) {
            for (long v : EXTREME_LONGS) {
                byte[] b = sample.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(pos, v);
                check(b, "u64 " + v + " at " + pos);
                cases++;
            }
            long size = sample.length;
            for (long v : new long[] {size, size - 1, size - headerEnd, size - pos}) {
                byte[] b = sample.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(pos, v);
                check(b, "u64 " + v + " at " + pos);
            }
        }
        assertTrue(cases > 10_000, cases + " cases");
    }

    @Test
    void everyFourByteWindowOfTheHeaderSetToExtremes() {
        for (int pos = 0; pos + 4 <= headerEnd; pos++) {
            for (int v : EXTREME_INTS) {
                byte[] b = sample.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(pos, v);
                check(b, "u32 " + v + " at " + pos);
            }
        }
    }

    @Test
    void randomByteFlips() {
        SplittableRandom rnd = new SplittableRandom(20240601);
        for (int i = 0; i < 4000; i++) {
            byte[] b = sample.clone();
            StringBuilder what = new StringBuilder("iteration " + i + ":");
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int pos = rnd.nextInt(10) < 9 ? rnd.nextInt(headerEnd) : rnd.nextInt(b.length);
                int v = rnd.nextBoolean() ? rnd.nextInt(256) : (b[pos] ^ (1 << rnd.nextInt(8)));
                b[pos] = (byte) v;
                what.append(" byte ").append(pos).append('=').append(v & 0xFF);
            }
            check(b, what.toString());
        }
    }

    @Test
    void randomEightByteFieldsAndTruncation() {
        SplittableRandom rnd = new SplittableRandom(77);
        for (int i = 0; i < 3000; i++) {
            byte[] b = sample.clone();
            int pos = rnd.nextInt(headerEnd - 8);
            long v = rnd.nextBoolean() ? EXTREME_LONGS[rnd.nextInt(EXTREME_LONGS.length)] : rnd.nextLong();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(pos, v);
            int len = rnd.nextInt(4) == 0 ? rnd.nextInt(b.length + 1) : b.length;
            check(java.util.Arrays.copyOf(b, len), "iteration " + i + ": u64 " + v + " at " + pos + ", length " + len);
        }
    }

    @Test
    void mutantsBehaveTheSameWhenMapped(@TempDir Path dir) throws IOException {
        SplittableRandom rnd = new SplittableRandom(5);
        Path p = dir.resolve("mutant.gguf");
        for (int i = 0; i < 100; i++) {
            byte[] b = sample.clone();
            int pos = rnd.nextInt(headerEnd - 8);
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(pos, EXTREME_LONGS[i % EXTREME_LONGS.length]);
            Files.write(p, b);
            String mapped;
            try (GGUFFile f = GGUFFile.open(p)) {
                mapped = "ok " + f.tensors().keySet();
            } catch (GGUFException e) {
                mapped = e.getMessage().replace(p.toString(), GGUFAssert.IN_MEMORY.toString());
            }
            String inMemory;
            try (GGUFFile f = GGUFAssert.parse(b)) {
                inMemory = "ok " + f.tensors().keySet();
            } catch (GGUFException e) {
                inMemory = e.getMessage();
            }
            assertEquals(inMemory, mapped, "mutant " + i);
        }
    }

    /** Opening must succeed with consistent results or throw GGUFException; anything else fails. */
    private static void check(byte[] bytes, String what) {
        try (GGUFFile f = GGUFAssert.parse(bytes)) {
            use(f);
        } catch (GGUFException e) {
            if (e.offset() < 0 || e.offset() > bytes.length || e.field() == null) {
                throw new AssertionError(what + ": bad offset or field in " + e.getMessage());
            }
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": threw " + e + " instead of a GGUFException", e);
        }
    }

    /** Reads everything an opened file offers; tensors must lie inside it, aligned. */
    private static void use(GGUFFile f) throws GGUFException {
        for (GGUFValue v : f.metadata().values()) {
            assertTrue(v.toString() != null);
            if (v.value() instanceof GGUFArray a) {
                visit(a, x -> { });
            }
        }
        for (var e : f.metadata().entrySet()) {
            if (e.getValue().value() instanceof GGUFArray a && a.elementType().isInteger()) {
                try {
                    f.getIntArray(e.getKey());
                } catch (GGUFException ignored) {
                    // too large for an int: a clear error is all we ask
                }
            }
        }
        for (GGUFTensorInfo t : f.tensors().values()) {
            MemorySegment data = f.tensorData(t);
            assertEquals(t.byteSize(), data.byteSize());
            assertEquals(t.type().byteSize(t.elementCount()), t.byteSize());
            assertEquals(0, (f.dataStart() + t.dataOffset()) % f.alignment());
            assertTrue(f.dataStart() + t.dataOffset() + t.byteSize() <= f.fileSize());
        }
    }

    private static void visit(GGUFArray a, Consumer<Object> c) {
        c.accept(a.values());
        if (a.elementType() == GGUFValueType.ARRAY) {
            for (GGUFArray inner : a.arrays()) {
                visit(inner, c);
            }
        }
    }
}
