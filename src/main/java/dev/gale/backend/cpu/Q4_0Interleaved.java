package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import dev.gale.gguf.GGMLType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_0 weights repacked once at load (as llama.cpp repacks Q4_0 for its CPU kernels), for decode
 * with 8-bit activations on 512-bit vectors. Rows go in groups of sixteen; per group and 32-column
 * block, 288 bytes (the same 18 bytes per row and block as the file):
 * <ul>
 *   <li>bytes {@code 64k + 4r .. 64k + 4r + 3} (k = 0..3, r = 0..15): nibble bytes {@code 4k .. 4k + 3}
 *       of row r's block (low nibble of byte j: element j, high nibble: element j + 16);</li>
 *   <li>bytes {@code 256 + 2r}: row r's F16 scale.</li>
 * </ul>
 * One 512-bit load thus holds two 16-bit lanes of each of the sixteen rows, every lane four nibbles
 * {@code n0..n3} (low and high nibble of one byte, then of the next). The kernel multiplies the
 * whole lane and its shifts by "telescoped" activations prepared once per product
 * ({@link Q8Activations#x16}): {@code w t0 + (w >>> 4) t1 + (w >>> 8) t2 + (w >>> 12) t3} with
 * {@code t0 = x(n0)} and {@code t(m) = x(n_m) - 16 x(n_(m-1))} equals {@code sum n_m x(n_m)}
 * modulo 2^16 (the nibbles above n_m cancel), and the same activations serve all sixteen rows: no
 * byte shuffles and no per-row reductions, one FMA applies the sixteen rows' scales. Each 16-bit
 * lane starts at {@code -8} times its activations' sum (the nibbles' offset), so it ends at
 * {@code sum (n - 8) x} over 16 elements, |.| &lt;= 16 * 8 * 127; two lanes of a row then add up
 * exactly in 32 bits. Two groups go together, sharing the activation broadcasts. Pre-fill of a
 * dozen tokens or more decodes weights to floats from the file's layout (still mapped), so both
 * forms of these weights then sit in the page cache.
 */
final class Q4_0Interleaved extends CpuMatrix {
    static final int ROWS = 16;
    static final int BLOCK = 32;
    static final int GROUP_BYTES = 288;
    /** 512-bit vectors with 16-bit lane arithmetic (AVX-512 BW). */
    static final boolean ENABLED = Q4_0Matrix.Q8_KERNEL && CpuFeatures.AVX512_BW;

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment packed;
    /** The same weights in the file's layout. */
    private final Q4_0Matrix file;
    /** Blocks per row used (cols / 32). */
    private final int blocks;
    /** Blocks per row in the packed memory: more than {@link #blocks} in a narrowed view. */
    private final int stride;

    private Q4_0Interleaved(Tensor t, MemorySegment packed, int stride) {
        super(t);
        this.packed = packed;
        this.file = new Q4_0Matrix(t);
        this.blocks = cols / BLOCK;
        this.stride = stride;
    }

    /** The matrix of {@code t} over memory already holding its repacked form. */
    static Q4_0Interleaved of(Tensor t, MemorySegment packed) {
        return new Q4_0Interleaved(t, packed, t.cols() / BLOCK);
    }

    /** The first rows and columns (whole groups and blocks), on the same memory: for warm-up. */
    @Override
    CpuMatrix narrow(int rows, int cols) {
        Tensor t = new Tensor(tensor.name(), tensor.type(), rows, cols, data.asSlice(0, tensor.type().byteSize((long) rows * cols)));
        return new Q4_0Interleaved(t, packed, stride);
    }

    /** Whether {@code t} can be repacked: Q4_0, whole groups of rows, and the kernel runs here. */
    static boolean fits(Tensor t) {
        return ENABLED && t.type() == GGMLType.Q4_0 && t.rows() % ROWS == 0 && t.cols() % BLOCK == 0;
    }

    /**
     * Repacks {@code t} (see {@link #fits}) into {@code dst} (as many bytes as the tensor), groups
     * split across threads.
     */
    static Q4_0Interleaved repack(Tensor t, MemorySegment dst, Parallel parallel) {
        int groups = t.rows() / ROWS;
        int blocks = t.cols() / BLOCK;
        MemorySegment src = t.data();
        long rowBytes = t.rowBytes();
        parallel.forChunks(groups, 8, (share, g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                long group = (long) g * blocks * GROUP_BYTES;
                for (int r = 0; r < ROWS; r++) {
                    long row = (long) (g * ROWS + r) * rowBytes;
                    for (int b = 0; b < blocks; b++) {
                        long from = row + b * 18L;
                        long to = group + (long) b * GROUP_BYTES + 4 * r;
                        long lo = src.get(I64, from + 2);
                        long hi = src.get(I64, from + 10);
                        dst.set(I32, to, (int) lo);
                        dst.set(I32, to + 64, (int) (lo >>> 32));
                        dst.set(I32, to + 128, (int) hi);
                        dst.set(I32, to + 192, (int) (hi >>> 32));
                        dst.set(Layouts.I16, group + (long) b * GROUP_BYTES + 256 + 2 * r, src.get(Layouts.I16, from));
                    }
                }
            }
        });
        return of(t, dst);
    }

    /**
     * Prefill decodes weights from the file's layout (the mapped file, read once per chunk; the
     * repacked copy serves the 8-bit kernel only).
     */
    @Override
    public void dequantize(int row, int col0, int n, float[] out, int off) {
        file.dequantize(row, col0, n, out, off);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        return file.dot(row, x, xOffset);
    }

    @Override
    int q8Layouts() {
        return Q8Activations.LAYOUT_X16;
    }

    @Override
    public boolean supportsQ8() {
        return true;
    }

    @Override
    boolean fastQ8Rows() {
        return true;
    }

    /** One row (rows outside whole groups), from the file's layout. */
    @Override
    public float dotQ8(int row, Q8Activations x) {
        return file.dotQ8Blocks(row, x, 0);
    }

    @Override
    public void dotRows(int r0, int r1, float[] x, int xOffset, Q8Activations xq, float[] out, int outOffset) {
        if (xq == null) {
            super.dotRows(r0, r1, x, xOffset, xq, out, outOffset);
            return;
        }
        int g0 = (r0 + ROWS - 1) / ROWS;
        int g1 = r1 / ROWS;
        if (g0 >= g1) {
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

    /** Groups ga and gb (sixteen rows each): out[oa ..] and out[ob ..]. */
    private void groups(int ga, int gb, Q8Activations x, float[] out, int oa, int ob) {
        MemorySegment seg = packed;
        int[] act = x.x16;
        int[] init = x.x16init;
        float[] xd = x.d;
        long baseA = (long) ga * stride * GROUP_BYTES;
        long baseB = (long) gb * stride * GROUP_BYTES;
        FloatVector accA = FloatVector.zero(F);
        FloatVector accB = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long atA = baseA + (long) b * GROUP_BYTES;
            long atB = baseB + (long) b * GROUP_BYTES;
            ShortVector sA = IntVector.broadcast(I, init[b]).reinterpretAsShorts();
            ShortVector sB = sA;
            for (int k = 0; k < 4; k++) {
                int a = 16 * b + 4 * k;
                ShortVector t0 = IntVector.broadcast(I, act[a]).reinterpretAsShorts();
                ShortVector t1 = IntVector.broadcast(I, act[a + 1]).reinterpretAsShorts();
                ShortVector t2 = IntVector.broadcast(I, act[a + 2]).reinterpretAsShorts();
                ShortVector t3 = IntVector.broadcast(I, act[a + 3]).reinterpretAsShorts();
                ShortVector wA = ShortVector.fromMemorySegment(S, seg, atA + 64 * k, ByteOrder.LITTLE_ENDIAN);
                ShortVector wB = ShortVector.fromMemorySegment(S, seg, atB + 64 * k, ByteOrder.LITTLE_ENDIAN);
                sA = sA.add(wA.mul(t0).add(wA.lanewise(VectorOperators.LSHR, 4).mul(t1))
                        .add(wA.lanewise(VectorOperators.LSHR, 8).mul(t2).add(wA.lanewise(VectorOperators.LSHR, 12).mul(t3))));
                sB = sB.add(wB.mul(t0).add(wB.lanewise(VectorOperators.LSHR, 4).mul(t1))
                        .add(wB.lanewise(VectorOperators.LSHR, 8).mul(t2).add(wB.lanewise(VectorOperators.LSHR, 12).mul(t3))));
            }
            float d = xd[b];
            // row r's two lanes added in 32 bits; F16 scales widened by bit manipulation (exact for
            // normal and subnormal halves; see Q4_0Permuted), 2^112 restoring the exponent bias.
            // Written out for each group: a helper taking the vectors is not reliably inlined in a
            // method this large, and then boxes them (the kernel ran 7x slower in a trial)
            IntVector iA = sA.reinterpretAsInts();
            iA = iA.add(iA.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector hA = (IntVector) ShortVector.fromMemorySegment(S256, seg, atA + 256, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            accA = ((FloatVector) iA.convert(VectorOperators.I2F, 0))
                    .fma(hA.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).mul(d), accA);
            IntVector iB = sB.reinterpretAsInts();
            iB = iB.add(iB.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector hB = (IntVector) ShortVector.fromMemorySegment(S256, seg, atB + 256, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            accB = ((FloatVector) iB.convert(VectorOperators.I2F, 0))
                    .fma(hB.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).mul(d), accB);
        }
        accA.intoArray(out, oa);
        accB.intoArray(out, ob);
    }
}
