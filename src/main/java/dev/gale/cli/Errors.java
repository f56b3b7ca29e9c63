package dev.gale.cli;

import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** One clear line for an error a user can act on. */
final class Errors {
    private Errors() {
    }

    static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file";
        }
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (e instanceof FileNotFoundException f) {
            return f.getMessage();
        }
        if (e instanceof OutOfMemoryError) {
            return "out of memory: use a smaller --ctx-size or --chunk-size, or give Java more memory (GALE_JAVA_OPTS=-Xmx...)";
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m;
    }
}
