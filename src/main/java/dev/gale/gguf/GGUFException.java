package dev.gale.gguf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A GGUF file that Gale cannot read: truncated, corrupt, hostile or of an unsupported kind.
 * The message names the file, the field and the byte offset of the problem.
 */
public final class GGUFException extends IOException {
    private final transient Path file;
    private final String field;
    private final long offset;

    public GGUFException(Path file, String field, long offset, String problem) {
        super(file + ": " + field + " at byte " + offset + ": " + problem);
        this.file = file;
        this.field = field;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    public String field() {
        return field;
    }

    public long offset() {
        return offset;
    }
}
