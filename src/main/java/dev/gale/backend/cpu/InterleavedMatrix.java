package dev.gale.backend.cpu;

import dev.gale.gguf.GGMLType;
import dev.gale.model.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * Weights repacked once at load for an 8-bit decode kernel on 512-bit vectors (as llama.cpp
 * repacks Q4_0 and Q8_0 for its CPU kernels): rows in groups of sixteen, and per group and 32-column
 * block the sixteen rows' weight bytes interleaved four at a time, then their sixteen F16 scales
 * (as many bytes as the file's blocks). One 512-bit load thus holds four bytes of each of the
 * sixteen rows, the same activations serve all sixteen, and one FMA applies their scales. The types'
 * kernels: {@link Q4_0Interleaved}, {@link Q8_0Interleaved}. Shared here: the row ranges (whole
 * groups two at a time, other rows one by one through the file's layout), pre-fill and float
 * products from the file's layout (still mapped, so after a long prompt both forms sit in the page
 * cache), narrowed views for warm-up, and repacking split across threads.
 */
abstract class InterleavedMatrix extends CpuMatrix {
    static final int ROWS = 16;
    static final int BLOCK = 32;
    /** 512-bit vectors with 16-bit lane arithmetic (AVX-512 BW). */
    static final boolean ENABLED = Q4_0Matrix.Q8_KERNEL && CpuFeatures.AVX512_BW;

    protected static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    protected static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    protected static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    protected static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    protected final MemorySegment packed;
    /** The same weights in the file's layout. */
    protected final CpuMatrix file;
    /** Blocks per row used (cols / 32). */
    protected final int blocks;
    /** Blocks per row in the packed memory: more than {@link #blocks} in a narrowed view. */
    protected final int stride;

    InterleavedMatrix(Tensor t, MemorySegment packed, int stride, CpuMatrix file) {
        super(t);
        this.packed = packed;
        this.file = file;
        this.blocks = cols / BLOCK;
        this.stride = stride;
    }

    /** Whether {@code t} can be repacked: a type with such a kernel, whole groups of rows, and the kernel runs here. */
    static boolean fits(Tensor t) {
        return ENABLED && (t.type() == GGMLType.Q4_0 || t.type() == GGMLType.Q8_0) && t.rows() % ROWS == 0
                && t.cols() % BLOCK == 0;
    }

    /** The matrix of {@code t} (see {@link #fits}) over memory already holding its repacked form. */
    static InterleavedMatrix of(Tensor t, MemorySegment packed) {
        return of(t, packed, t.cols() / BLOCK);
    }

    /** The same with {@code stride} blocks per row in the packed memory (more than t's in a narrowed view). */
    private static InterleavedMatrix of(Tensor t, MemorySegment packed, int stride) {
        return t.type() == GGMLType.Q4_0 ? new Q4_0Interleaved(t, packed, stride) : new Q8_0Interleaved(t, packed, stride);
    }

    /**
     * Repacks {@code t} (see {@link #fits}) into {@code dst} (as many bytes as the tensor), groups
     * split across threads.
     */
    static InterleavedMatrix repack(Tensor t, MemorySegment dst, Parallel parallel) {
        int groups = t.rows() / ROWS;
        int blocks = t.cols() / BLOCK;
        boolean q4 = t.type() == GGMLType.Q4_0;
        int groupBytes = q4 ? Q4_0Interleaved.GROUP_BYTES : Q8_0Interleaved.GROUP_BYTES;
        int blockBytes = groupBytes / ROWS;
        MemorySegment src = t.data();
        long rowBytes = t.rowBytes();
        parallel.forChunks(groups, 8, (share, g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                long group = (long) g * blocks * groupBytes;
                for (int r = 0; r < ROWS; r++) {
                    long row = (long) (g * ROWS + r) * rowBytes;
                    for (int b = 0; b < blocks; b++) {
                        long from = row + (long) b * blockBytes;
                        long to = group + (long) b * groupBytes;
                        if (q4) {
                            Q4_0Interleaved.repackBlock(src, from, dst, to, r);
                        } else {
                            Q8_0Interleaved.repackBlock(src, from, dst, to, r);
                        }
                    }
                }
            }
        });
        return of(t, dst);
    }

    /**
     * Groups ga and gb (sixteen rows each, possibly the same group): out[oa .. oa + 16) and
     * out[ob .. ob + 16).
     */
    abstract void groups(int ga, int gb, Q8Activations x, float[] out, int oa, int ob);

    /**
     * Groups ga and gb (possibly the same group) against four tokens' activations: token t's
     * outputs at out[oa + t * os .. + 16) and out[ob + t * os .. + 16) (types with {@link #tokenKernel}).
     */
    void tokens4(int ga, int gb, Q8Activations x0, Q8Activations x1, Q8Activations x2, Q8Activations x3, float[] out,
                 int oa, int ob, int os) {
        throw new UnsupportedOperationException(tensor.type() + " has no multi-token kernel");
    }

    /**
     * With {@link #tokenKernel}: tokens in fours through {@link #tokens4}, every group of the range
     * per four, two groups at a time (the range's rows stay in L2 from one four to the next), the
     * last one to three tokens through {@link #dotRows}; rows outside whole groups (none in a
     * model's matrices) as {@link #dotRows} does them. So the rows of whole groups get the
     * single-token kernel's outputs bit for bit. Otherwise token by token.
     */
    @Override
    public void dotRowsTokens(int r0, int r1, float[] x, int n, Q8Activations[] xq, float[] out) {
        if (xq == null || !tokenKernel()) {
            super.dotRowsTokens(r0, r1, x, n, xq, out);
            return;
        }
        int g0 = (r0 + ROWS - 1) / ROWS;
        int g1 = Math.max(g0, r1 / ROWS);
        int t = 0;
        for (; t + 4 <= n; t += 4) {
            for (int g = g0; g < g1; g += 2) {
                int gb = Math.min(g + 1, g1 - 1);
                tokens4(g, gb, xq[t], xq[t + 1], xq[t + 2], xq[t + 3], out, t * rows + g * ROWS, t * rows + gb * ROWS,
                        rows);
            }
        }
        outsideGroups(r0, Math.min(r1, g0 * ROWS), xq, t, out);
        outsideGroups(Math.max(r0, g1 * ROWS), r1, xq, t, out);
        for (; t < n; t++) {
            dotRows(r0, r1, x, t * cols, xq[t], out, t * rows + r0);
        }
    }

    /** Rows [r0, r1) (outside whole groups) for the first n tokens, one by one as {@link #dotRows} does them. */
    private void outsideGroups(int r0, int r1, Q8Activations[] xq, int n, float[] out) {
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                out[t * rows + r] = dotQ8(r, xq[t]);
            }
        }
    }

    /** The first rows and columns (whole groups and blocks), on the same memory: for warm-up. */
    @Override
    CpuMatrix narrow(int rows, int cols) {
        return of(new Tensor(tensor.name(), tensor.type(), rows, cols,
                data.asSlice(0, tensor.type().byteSize((long) rows * cols))), packed, stride);
    }

    /** Pre-fill decodes weights from the file's layout (read once per chunk). */
    @Override
    public void dequantize(int row, int col0, int n, float[] out, int off) {
        file.dequantize(row, col0, n, out, off);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        return file.dot(row, x, xOffset);
    }

    /** One row (rows outside whole groups), from the file's layout. */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        return file.dotQ8(row, x);
    }

    @Override
    public boolean supportsQ8() {
        return true;
    }

    @Override
    boolean fastQ8Rows() {
        return true;
    }

    @Override
    public void dotRows(int r0, int r1, float[] x, int xOffset, Q8Activations xq, float[] out, int outOffset) {
        int g0 = (r0 + ROWS - 1) / ROWS;
        int g1 = r1 / ROWS;
        if (xq == null || g0 >= g1) {
            super.dotRows(r0, r1, x, xOffset, xq, out, outOffset);
            return;
        }
        for (int r = r0; r < g0 * ROWS; r++) {
            out[outOffset + r - r0] = dotQ8(r, xq);
        }
        int o = outOffset + g0 * ROWS - r0;
        int g = g0;
        for (; g + 1 < g1; g += 2) {
            groups(g, g + 1, xq, out, o + (g - g0) * ROWS, o + (g + 1 - g0) * ROWS);
        }
        if (g < g1) {
            // an odd group: computed twice into the same place rather than a second kernel
            groups(g, g, xq, out, o + (g - g0) * ROWS, o + (g - g0) * ROWS);
        }
        for (int r = g1 * ROWS; r < r1; r++) {
            out[outOffset + r - r0] = dotQ8(r, xq);
        }
    }
}
