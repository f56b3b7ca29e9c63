package dev.gale.model;

import dev.gale.gguf.GGMLType;

import java.lang.foreign.MemorySegment;

/**
 * A weight tensor viewed as a matrix of {@code rows} rows of {@code cols} elements (a vector is
 * one row). {@code data} is the tensor's bytes in the GGML layout of {@code type}, a slice of the
 * mapped model file or of memory a test made.
 */
public record Tensor(String name, GGMLType type, int rows, int cols, MemorySegment data) {

    /** Bytes of one row. */
    public long rowBytes() {
        return type.byteSize(cols);
    }

    public long elements() {
        return (long) rows * cols;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + rows + "x" + cols;
    }
}
