package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.quant.BlockFormat;
import dev.gale.quant.Formats;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix in the CPU backend: one subclass per GGML type, each with a Vector API dot
 * product of one row against a float vector. Rows are read straight from the mapped file.
 */
public abstract class CpuMatrix {
    protected final Tensor tensor;
    protected final MemorySegment data;
    protected final int rows;
    protected final int cols;
    protected final long rowBytes;

    protected CpuMatrix(Tensor tensor) {
        this.tensor = tensor;
        this.data = tensor.data();
        this.rows = tensor.rows();
        this.cols = tensor.cols();
        this.rowBytes = tensor.rowBytes();
    }

    /** The CPU matrix for a weight tensor of any supported type. */
    public static CpuMatrix of(Tensor t) {
        return switch (t.type()) {
            case F32 -> new F32Matrix(t);
            case F16 -> new F16Matrix(t);
            case BF16 -> new BF16Matrix(t);
            case Q8_0 -> new Q8_0Matrix(t);
            case Q4_0 -> new Q4_0Matrix(t);
            case Q4_K -> new Q4_KMatrix(t);
            case Q5_K -> new Q5_KMatrix(t);
            case Q6_K -> new Q6_KMatrix(t);
            default -> throw new dev.gale.quant.UnsupportedTypeException(t.type(), t.name());
        };
    }

    public Tensor tensor() {
        return tensor;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Dot product of row {@code row} with {@code x[xOffset .. xOffset + cols)}, with the Vector API. */
    public abstract float dot(int row, float[] x, int xOffset);

    /** The same dot product computed plainly from the type's scalar format. */
    public float scalarDot(int row, float[] x, int xOffset) {
        float[] w = new float[cols];
        Formats.of(tensor.type()).dequantize(data, row * rowBytes, w, 0, cols);
        float sum = 0;
        for (int i = 0; i < cols; i++) {
            sum += w[i] * x[xOffset + i];
        }
        return sum;
    }

    /** Decodes row {@code row} into {@code out[outOffset ..]}. */
    public void row(int row, float[] out, int outOffset) {
        BlockFormat f = Formats.of(tensor.type());
        f.dequantize(data, row * rowBytes, out, outOffset, cols);
    }

    /** out[r] = row r . x for every row, rows split across threads. */
    public void matvec(float[] x, float[] out, Parallel parallel) {
        parallel.forRange(rows, 16, (start, end) -> {
            for (int r = start; r < end; r++) {
                out[r] = dot(r, x, 0);
            }
        });
    }

    /**
     * A batch of {@code n} vectors: out[t * rows + r] = row r . x[t * cols ..], for the tokens of a
     * prefill chunk.
     */
    public void matmul(float[] x, int n, float[] out, Parallel parallel) {
        parallel.forRange(rows, 16, (start, end) -> {
            for (int r = start; r < end; r++) {
                for (int t = 0; t < n; t++) {
                    out[t * rows + r] = dot(r, x, t * cols);
                }
            }
        });
    }
}
