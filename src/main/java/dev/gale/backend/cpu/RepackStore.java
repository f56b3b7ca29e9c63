package dev.gale.backend.cpu;

import dev.gale.model.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the weights {@link InterleavedMatrix} repacks live, chosen by the system property
 * {@code gale.cpu.repack}:
 * <ul>
 *   <li>{@code cache} (the default): a cache file beside the others in {@code gale.cache.dir}
 *       (default {@code $XDG_CACHE_HOME/gale} or {@code ~/.cache/gale}), written on the model's
 *       first use and memory-mapped after that, like the model itself: later starts pay nothing for
 *       the repacking, and the pages sit in the page cache instead of fresh process memory (which
 *       costs page faults on every start). Keyed by the model file's path, size and modification
 *       time, the tensors and the layout version; written to a temporary file and renamed, so
 *       processes starting together do not read a half-written file. If the directory cannot be
 *       written, {@code memory} with a warning;</li>
 *   <li>{@code memory}: repacked into process memory at every start;</li>
 *   <li>{@code off}: not repacked (the Q4_0 and Q8_0 kernels read the mapped file).</li>
 * </ul>
 */
final class RepackStore implements AutoCloseable {
    /** Bumped whenever the repacked layout changes, so old cache files are not read. */
    private static final int LAYOUT_VERSION = 1;
    private static final long MAGIC = 0x3631584B43415047L; // "GPACKX16", little-endian
    private static final int HEADER = 4096;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Holds the cache file's mapping (null in memory). */
    private final Arena arena;
    private final MemorySegment segment;
    private final NativeMemory memory = new NativeMemory();
    /** Offset of each tensor's repacked bytes (after the header), by name. */
    private final Map<String, Long> offsets = new HashMap<>();

    private RepackStore(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    static String mode() {
        String v = System.getProperty("gale.cpu.repack", "cache");
        if (!v.equals("cache") && !v.equals("memory") && !v.equals("off")) {
            throw new IllegalArgumentException("gale.cpu.repack must be cache, memory or off, found '" + v + "'");
        }
        return v;
    }

    /**
     * The store for {@code tensors} of the model file {@code model} (null: none, memory only),
     * repacking them now unless the cache holds them.
     */
    static RepackStore open(Path model, List<Tensor> tensors, Parallel parallel) {
        Map<String, Long> offsets = new HashMap<>();
        long bytes = 0;
        for (Tensor t : tensors) {
            offsets.put(t.name(), bytes);
            bytes += t.data().byteSize();
        }
        RepackStore s = new RepackStore(null, null);
        if (model != null && mode().equals("cache") && bytes > 0) {
            try {
                s = cached(model, tensors, bytes, parallel);
            } catch (IOException | RuntimeException | InternalError e) {
                // InternalError: a fault writing the mapped file (the disk filled up under us)
                System.err.println("gale: warning: cannot use the repacked-weights cache (" + e.getMessage()
                        + "); repacking in memory (set -Dgale.cache.dir to a writable directory)");
            }
        }
        s.offsets.putAll(offsets);
        return s;
    }

    /** The repacked form of tensor {@code t} of the list given to {@link #open}. */
    InterleavedMatrix matrix(Tensor t, Parallel parallel) {
        long size = t.data().byteSize();
        Long at = offsets.get(t.name());
        if (segment == null || at == null) {
            return InterleavedMatrix.repack(t, memory.allocate(size), parallel);
        }
        return InterleavedMatrix.of(t, segment.asSlice(HEADER + at, size));
    }

    private static RepackStore cached(Path model, List<Tensor> tensors, long bytes, Parallel parallel)
            throws IOException {
        Path dir = cacheDir();
        Files.createDirectories(dir);
        Path real = model.toRealPath();
        long key = key(real, tensors);
        String base = real.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        Path file = dir.resolve(base + "." + Long.toHexString(key) + ".repacked");
        RepackStore existing = map(file, HEADER + bytes, key);
        if (existing != null) {
            return existing;
        }
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < HEADER + bytes + (1L << 30)) {
            throw new IOException(dir + " has " + (free >> 20) + " MiB free; the repacked weights need "
                    + ((HEADER + bytes) >> 20) + " MiB and 1 GiB is kept free");
        }
        Path tmp = dir.resolve(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        System.err.printf("gale: repacking %d MiB of weights for this CPU's decode kernel into %s (once per model)%n",
                bytes >> 20, file);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE); Arena writing = Arena.ofShared()) {
            MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER + bytes, writing);
            long at = HEADER;
            for (Tensor t : tensors) {
                long size = t.data().byteSize();
                InterleavedMatrix.repack(t, out.asSlice(at, size), parallel);
                at += size;
            }
            out.set(I64, 8, key);
            out.set(I64, 16, bytes);
            out.set(I64, 0, MAGIC);
            out.force();
        } catch (IOException | RuntimeException | InternalError e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        RepackStore written = map(file, HEADER + bytes, key);
        if (written == null) {
            throw new IOException(file + " does not read back as written");
        }
        return written;
    }

    /** The store of the file mapped read-only, if it is complete and holds {@code key}; else null. */
    private static RepackStore map(Path file, long size, long key) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) != size) {
            return null;
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (m.get(I64, 0) == MAGIC && m.get(I64, 8) == key && m.get(I64, 16) == size - HEADER) {
                return new RepackStore(arena, m);
            }
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        arena.close();
        return null;
    }

    private static Path cacheDir() {
        String dir = System.getProperty("gale.cache.dir");
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "gale");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "gale");
    }

    /** Model file identity (path, size, modification time), tensors and layout version, hashed. */
    private static long key(Path model, List<Tensor> tensors) throws IOException {
        StringBuilder sb = new StringBuilder().append(LAYOUT_VERSION).append('|').append(model).append('|')
                .append(Files.size(model)).append('|').append(Files.getLastModifiedTime(model).toMillis());
        for (Tensor t : tensors) {
            sb.append('|').append(t.name()).append(':').append(t.rows()).append('x').append(t.cols());
        }
        long h = 0xcbf29ce484222325L; // FNV-1a, 64-bit
        for (int i = 0; i < sb.length(); i++) {
            h = (h ^ sb.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }

    @Override
    public void close() {
        memory.close();
        if (arena != null) {
            arena.close();
        }
    }
}
