package dev.gale.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large off-heap buffers for weights repacked in memory ({@link RepackStore}). On Linux they are
 * anonymous mappings: the kernel hands out zeroed pages as the repacking threads first write them,
 * with no single-threaded zeroing pass first (as {@link Arena#allocate} makes). (Marking them for
 * transparent huge pages made no measurable difference to decode here.) Elsewhere, or if the call
 * fails, an ordinary {@link Arena} allocation. Freed when the owner closes.
 */
final class NativeMemory implements AutoCloseable {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final long MAP_FAILED = -1;

    /**
     * The libc calls, linked when a large buffer is first asked for: linking a downcall generates
     * classes (~70 ms of a start), which a backend that maps its repacked weights from the cache
     * never needs.
     */
    private static final class Libc {
        static final MethodHandle MMAP;
        static final MethodHandle MUNMAP;

        static {
            MethodHandle mmap = null;
            MethodHandle munmap = null;
            if (System.getProperty("os.name", "").toLowerCase().startsWith("linux")) {
                try {
                    Linker linker = Linker.nativeLinker();
                    var libc = linker.defaultLookup();
                    mmap = linker.downcallHandle(libc.findOrThrow("mmap"), FunctionDescriptor.of(ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                    munmap = linker.downcallHandle(libc.findOrThrow("munmap"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                } catch (RuntimeException | LinkageError e) {
                    mmap = null;
                }
            }
            MMAP = mmap;
            MUNMAP = munmap;
        }
    }

    private final Arena arena = Arena.ofShared();

    /** A buffer of {@code bytes} (contents unspecified until written), valid until {@link #close}. */
    MemorySegment allocate(long bytes) {
        if (bytes >= (1 << 21) && Libc.MMAP != null) {
            try {
                MemorySegment at = (MemorySegment) Libc.MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
                if (at.address() != MAP_FAILED) {
                    long address = at.address();
                    return at.reinterpret(bytes, arena, s -> unmap(address, bytes));
                }
            } catch (Throwable e) {
                // fall through to the arena
            }
        }
        return arena.allocate(bytes, 64);
    }

    private static void unmap(long address, long bytes) {
        try {
            int ignored = (int) Libc.MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
        } catch (Throwable e) {
            // nothing more to do at exit
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
