package dev.gale.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static dev.gale.gguf.GGUFAssert.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The file is mapped, never read onto the heap: tensor data are slices of the mapping, a 6 GiB
 * (sparse) file opens, and metadata that would need more heap than the budget is refused before
 * it is read.
 */
class GGUFMappingTest {
    @TempDir
    Path dir;

    private static final long GIB = 1L << 30;

    /** A header and tensor infos, then {@code dataBytes} of zeros that cost no disk (a sparse file). */
    private Path sparse(RawGGUF header, long dataBytes) throws IOException {
        Path p = header.write(dir, "sparse.gguf");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(header.size() + dataBytes);
        }
        return p;
    }

    @Test
    void tensorDataIsASliceOfTheMapping() throws IOException {
        Path p = dir.resolve("m.gguf");
        Files.write(p, GGUFSamples.small());
        try (GGUFFile f = GGUFFile.open(p)) {
            MemorySegment whole = f.segment();
            assertTrue(whole.isMapped(), "the file is mapped");
            assertTrue(whole.isNative() && whole.heapBase().isEmpty(), "not on the heap");
            assertEquals(Files.size(p), whole.byteSize());
            for (GGUFTensorInfo t : f.tensors().values()) {
                MemorySegment data = f.tensorData(t);
                assertTrue(data.isMapped(), t.name());
                assertEquals(whole.address() + f.dataStart() + t.dataOffset(), data.address(), t.name() + " address");
                assertEquals(t.byteSize(), data.byteSize());
                assertTrue(whole.asOverlappingSlice(data).isPresent());
            }
        }
    }

    @Test
    void sixGibTensorInASparseFile() throws IOException {
        long cols = 65536;
        long rows = 24576; // 65536 * 24576 F32 = 6 GiB
        RawGGUF raw = RawGGUF.header(3, 1, 1).kvString("general.name", "sparse").tensor("big", GGMLType.F32.id, 0,
                cols, rows).pad(32);
        Path p = sparse(raw, 6 * GIB);
        try (GGUFFile f = GGUFFile.open(p)) {
            GGUFTensorInfo t = f.tensor("big");
            assertEquals(6 * GIB, t.byteSize());
            assertEquals(cols * rows, t.elementCount());
            assertEquals(raw.size(), f.dataStart());
            assertEquals(raw.size() + 6 * GIB, f.fileSize());
            MemorySegment data = f.tensorData(t);
            assertTrue(data.isMapped());
            assertEquals(6 * GIB, data.byteSize());
            assertEquals(0f, data.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 6 * GIB - 4), "last element");
        }
    }

    @Test
    void hugeArrayInASparseFileIsRefusedBeforeItIsRead() throws IOException {
        long n = 200_000_000; // 1.6 GB of UINT64 in the file, would be a 1.6 GB long[]
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("big", GGUFValueType.ARRAY).u32(GGUFValueType.UINT64.id).u64(n);
        Path p = sparse(raw, 8 * n);
        GGUFException e = assertThrows(GGUFException.class, () -> GGUFFile.open(p));
        assertEquals("big", e.field());
        assertEquals(raw.at("big.value"), e.offset());
        assertTrue(e.getMessage().contains("MiB of heap"), e.getMessage());
    }

    @Test
    void hugeStringInASparseFileIsRefusedBeforeItIsRead() throws IOException {
        long len = 1_500_000_000L;
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("chat_template", GGUFValueType.STRING);
        long at = raw.size();
        raw.u64(len);
        Path p = sparse(raw, len);
        GGUFException e = assertThrows(GGUFException.class, () -> GGUFFile.open(p));
        assertEquals("chat_template", e.field());
        assertEquals(at, e.offset());
        assertTrue(e.getMessage().contains("MiB of heap"), e.getMessage());
    }

    @Test
    void metadataBudgetCountsManySmallObjects() throws IOException {
        // 100 000 one-byte strings: 0.9 MB in the file, several MB as Java Strings
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("tokens", GGUFValueType.ARRAY).u32(GGUFValueType.STRING.id)
                .u64(100_000);
        for (int i = 0; i < 100_000; i++) {
            raw.str("x");
        }
        Path p = raw.write(dir, "many.gguf");
        try (GGUFFile f = GGUFFile.open(p, 16L << 20)) {
            assertEquals(100_000, f.getArray("tokens", GGUFValueType.STRING).length());
        }
        GGUFException e = assertThrows(GGUFException.class, () -> GGUFFile.open(p, 4L << 20));
        assertTrue(e.getMessage().contains("more than 4 MiB of heap"), e.getMessage());
        assertTrue(e.field().startsWith("tokens["), e.field());
    }

    @Test
    void manyNestedEmptyArraysAreCharged() throws IOException {
        int n = 50_000;
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("nest", GGUFValueType.ARRAY).u32(GGUFValueType.ARRAY.id).u64(n);
        for (int i = 0; i < n; i++) {
            raw.u32(GGUFValueType.UINT8.id).u64(0);
        }
        Path p = raw.write(dir, "nest.gguf");
        assertThrows(GGUFException.class, () -> GGUFFile.open(p, 4L << 20));
        try (GGUFFile f = GGUFFile.open(p)) {
            assertEquals(n, f.getArray("nest", GGUFValueType.ARRAY).length());
        }
    }

    @Test
    void defaultBudgetIsAQuarterOfTheHeapAtMostOneGib() {
        long expected = Math.min(GIB, Runtime.getRuntime().maxMemory() / 4);
        assertEquals(expected, GGUFReader.DEFAULT_BUDGET);
    }

    @Test
    void directoryIsAClearError() throws IOException {
        GGUFException e = assertThrows(GGUFException.class, () -> GGUFFile.open(dir));
        assertEquals(dir + ": file at byte 0: is a directory, not a GGUF file", e.getMessage());
    }

    @Test
    void missingFileIsAClearError() {
        Path missing = dir.resolve("no-such-model.gguf");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> GGUFFile.open(missing));
        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test
    void specialFileIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("fifo.gguf");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mk.waitFor());
        GGUFException e = assertThrows(GGUFException.class, () -> GGUFFile.open(fifo));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void closeUnmapsAndIsIdempotent() throws IOException {
        Path p = dir.resolve("c.gguf");
        Files.write(p, GGUFSamples.small());
        GGUFFile f = GGUFFile.open(p);
        MemorySegment data = f.tensorData(f.tensors().values().iterator().next());
        f.close();
        f.close();
        assertFalse(data.scope().isAlive());
        assertThrows(IllegalStateException.class, () -> data.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void corruptFileNamesTheFile() throws IOException {
        byte[] b = GGUFSamples.small();
        b[0] = 'X';
        GGUFException e = rejects(dir, b, "magic", 0, "not a GGUF file");
        assertTrue(e.getMessage().contains(dir.toString()));
    }
}
