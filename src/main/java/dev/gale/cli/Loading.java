package dev.gale.cli;

import dev.gale.model.Model;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** Opens a model; on a terminal, big files are paged in with a progress line. */
final class Loading {
    private static final long PROGRESS_ABOVE = 512L << 20;
    private static final long STEP = 64L << 20;

    private Loading() {
    }

    static Model open(Path path) throws IOException {
        Model model = Startup.take(path);
        if (model == null) {
            model = Model.load(path);
        }
        MemorySegment all = model.file().segment();
        if (all.byteSize() > PROGRESS_ABOVE && "1".equals(System.getenv("GALE_TTY"))) {
            // the launcher filters stderr line by line, so the progress line goes to the terminal itself
            try (var tty = new java.io.PrintStream(new java.io.FileOutputStream("/dev/tty"), true)) {
                long size = all.byteSize();
                for (long off = 0; off < size; off += STEP) {
                    all.asSlice(off, Math.min(STEP, size - off)).load();
                    tty.printf("\rloading %s: %3d%% of %.1f GB", path.getFileName(),
                            Math.min(100, (off + STEP) * 100 / size), size / 1e9);
                }
                tty.print("\r\033[K");
            } catch (IOException e) {
                // no terminal after all: load lazily
            }
        }
        return model;
    }
}
