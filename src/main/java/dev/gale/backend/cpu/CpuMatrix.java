package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.quant.BlockFormat;
import dev.gale.quant.Formats;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix in the CPU backend, read straight from the mapped file. A type plugs in with:
 * <ol>
 *   <li>{@link #dot}, a Vector API dot product of one row with a float vector (required: decode
 *       falls back to it);</li>
 *   <li>optionally {@link #dequantize} specialised (the default decodes through the type's scalar
 *       {@link BlockFormat}); prefill decodes tiles of weights with it, once per chunk, and runs
 *       a blocked float product on them ({@link Gemm});</li>
 *   <li>optionally {@link #supportsQ8()} and {@link #dotQ8}: an integer dot product with
 *       activations quantized to 8 bits ({@link Q8Activations}), used for decode.</li>
 * </ol>
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

    /**
     * A matrix of the first {@code rows} rows and {@code cols} columns of this one, read from the
     * same kind of memory (warm-up runs the kernels on it; see {@link Warmup}).
     */
    CpuMatrix narrow(int rows, int cols) {
        return of(new Tensor(tensor.name(), tensor.type(), rows, cols,
                data.asSlice(0, tensor.type().byteSize((long) rows * cols))));
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
        dequantize(row, 0, cols, out, outOffset);
    }

    /**
     * Decodes elements {@code col0 .. col0 + n} of row {@code row} into {@code out[off ..]}.
     * {@code col0} is a multiple of {@link Gemm#KB}, {@code n} a multiple of the block size or the
     * rest of the row.
     */
    public void dequantize(int row, int col0, int n, float[] out, int off) {
        BlockFormat f = Formats.of(tensor.type());
        f.dequantize(data, row * rowBytes + tensor.type().byteSize(col0), out, off, n);
    }

    /**
     * The extra layouts of {@link Q8Activations} (LAYOUT_* bits) this type's 8-bit kernels read,
     * besides the levels and scales every one has.
     */
    int q8Layouts() {
        return 0;
    }

    /** Whether {@link #dotQ8} is implemented. */
    public boolean supportsQ8() {
        return false;
    }

    /** Dot product of row {@code row} with quantized activations (which hold {@code cols} values). */
    public float dotQ8(int row, Q8Activations x) {
        throw new UnsupportedOperationException(tensor.type() + " has no 8-bit activation kernel");
    }

    /**
     * Row {@code row} against four tokens' quantized activations: out[o + k * stride] = row . token k.
     * Types override it to decode each weight block once for the four.
     */
    public void dotQ8x4(int row, Q8Activations a, Q8Activations b, Q8Activations c, Q8Activations d,
                        float[] out, int o, int stride) {
        out[o] = dotQ8(row, a);
        out[o + stride] = dotQ8(row, b);
        out[o + 2 * stride] = dotQ8(row, c);
        out[o + 3 * stride] = dotQ8(row, d);
    }

    /**
     * out[outOffset + r - r0] = row r . x for r in [r0, r1), with quantized activations when {@code xq}
     * is not null. Types may override to share activation loads across rows.
     */
    public void dotRows(int r0, int r1, float[] x, int xOffset, Q8Activations xq, float[] out, int outOffset) {
        if (xq != null) {
            for (int r = r0; r < r1; r++) {
                out[outOffset + r - r0] = dotQ8(r, xq);
            }
        } else {
            for (int r = r0; r < r1; r++) {
                out[outOffset + r - r0] = dot(r, x, xOffset);
            }
        }
    }

    /**
     * Whether {@link #dotRows} with quantized activations runs a kernel that shares work across
     * rows and is much faster than {@link #dotQ8x4}: then a few tokens go token by token through it.
     */
    boolean fastQ8Rows() {
        return false;
    }

    /**
     * Whether {@link #dotRowsTokens} with quantized activations beats the float kernels of
     * {@link GemmDot} and {@link Gemm}: then chunks of every length go through it.
     */
    boolean tokenKernel() {
        return false;
    }

    /**
     * Rows [r0, r1) against each of n tokens (a few; any chunk with {@link #tokenKernel}):
     * out[t * rows + r] = row r . token t, with the tokens' quantized activations when {@code xq}
     * is not null. Token by token through
     * {@link #dotRows} for types with {@link #fastQ8Rows} (the rows stay in cache after the first
     * token); otherwise row by row, the tokens in fours through {@link #dotQ8x4} (each row read once).
     */
    public void dotRowsTokens(int r0, int r1, float[] x, int n, Q8Activations[] xq, float[] out) {
        if (xq != null && fastQ8Rows()) {
            for (int t = 0; t < n; t++) {
                dotRows(r0, r1, x, t * cols, xq[t], out, t * rows + r0);
            }
            return;
        }
        for (int r = r0; r < r1; r++) {
            int t = 0;
            if (xq != null) {
                for (; t + 4 <= n; t += 4) {
                    dotQ8x4(r, xq[t], xq[t + 1], xq[t + 2], xq[t + 3], out, t * rows + r, rows);
                }
            }
            for (; t < n; t++) {
                out[t * rows + r] = xq != null ? dotQ8(r, xq[t]) : dot(r, x, t * cols);
            }
        }
    }

    /** out[r] = row r . x for every row, rows split across threads (float activations). */
    public void matvec(float[] x, float[] out, Parallel parallel) {
        new MatMul(parallel, cols, 1, false).run(x, 1, this, out);
    }

    /**
     * A batch of {@code n} vectors: out[t * rows + r] = row r . x[t * cols ..], with the blocked
     * product of {@link Gemm} (float activations).
     */
    public void matmul(float[] x, int n, float[] out, Parallel parallel) {
        new MatMul(parallel, cols, n, false).run(x, n, this, out);
    }
}
