package dev.gale.quant;

import dev.gale.gguf.GGMLType;

/** A tensor whose type Gale cannot compute with. The message names the type and the tensor. */
public final class UnsupportedTypeException extends IllegalArgumentException {
    private final transient GGMLType type;

    public UnsupportedTypeException(GGMLType type, String tensorName) {
        super("tensor type " + type + (tensorName == null ? "" : " of tensor '" + tensorName + "'")
                + " is not supported; Gale supports " + Formats.supported());
        this.type = type;
    }

    public GGMLType type() {
        return type;
    }
}
