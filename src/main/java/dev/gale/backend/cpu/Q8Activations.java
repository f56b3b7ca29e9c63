package dev.gale.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * An activation vector quantized to 8 bits in blocks of 32, as llama.cpp quantizes activations
 * before its integer dot products: per block a float scale {@code d = max|x| / 127} and values
 * {@code q = round(x / d)} in [-127, 127], kept as shorts so that kernels can multiply them with
 * 16-bit lanes without widening. Value {@code j} stands for {@code d[j / 32] * q[j]}.
 *
 * <p>Quantized once per matrix product (and shared by products of the same input), so its cost
 * is one pass over a vector of a few thousand floats.
 */
public final class Q8Activations {
    public static final int BLOCK = 32;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 16));

    final short[] q;
    final float[] d;
    /** Per block {@code d * sum(q)}, for kernels that fold a constant weight offset out of the loop. */
    final float[] dsum;
    /**
     * The layout of {@link Q4_0Permuted} (with 512-bit vectors): per 4 blocks two halves of 32 lanes, lane
     * {@code 8k + j} of half h holding element {@code e = 8h + j} of block k as
     * {@code q4a = q[e]} and {@code q4b = q[e + 16] - 16 q[e]} (16-bit, may wrap); per block two
     * lanes {@code q4offset = (-8 sum(q), 0)} and {@code q4d = (d, d)}.
     */
    final short[] q4a;
    final short[] q4b;
    final int[] q4offset;
    final float[] q4d;
    /**
     * For the K-quant kernels (with 512-bit vectors), per 8 blocks (256 elements) 16 lanes: lane i
     * holds {@code d} of block {@code i % 8} (see {@link SubBlockSums}).
     */
    final float[] kd;
    /** Also per 8 blocks 16 lanes: lane i &lt; 8 holds {@code dsum} of block i, lanes 8-15 zero. */
    final float[] kdsum;
    /**
     * The pair layout of {@link Q4_KMatrix#dotQ8}: per 256 elements 128 lanes, lane
     * {@code 64(g / 2) + 32t + 16(g % 2) + i} for element {@code e = 64g + 32t + 2i} (group g of 64,
     * t = 0 for its first 32 elements, 1 for the rest) holding {@code kpa = q[e]} and
     * {@code kpb = q[e + 1] - 256 q[e]} (16-bit, may wrap).
     */
    final short[] kpa;
    final short[] kpb;
    /**
     * The pair layout of {@link Q6_KMatrix#dotQ8}: lane {@code j} for elements {@code 2j, 2j + 1}:
     * {@code ppa = q[2j]}, {@code ppb = q[2j + 1] - 256 q[2j]}; and per 16 elements
     * {@code off16 = -32 sum(q)}.
     */
    final short[] ppa;
    final short[] ppb;
    final int[] off16;
    /**
     * The layout of {@link Q4_0Interleaved}: per block 16 ints, int {@code 4k + m} holding in its
     * 16-bit half h the telescoped level {@code t_m} for nibble m of 16-bit weight lane
     * {@code p = 2k + h} (elements {@code 2p, 2p + 16, 2p + 1, 2p + 17}: {@code t0 = q[2p]}, then
     * {@code t_m = q(e_m) - 16 q(e_(m-1))}, 16-bit, may wrap); per block {@code x16init}: in half h
     * {@code -8} times the sum of the levels of the lanes with that h.
     */
    final int[] x16;
    final int[] x16init;
    /**
     * The layout of {@link Q8_0Interleaved}: per block 16 ints, int {@code 2k} holding in its 16-bit
     * half h {@code t0 = q[4k + 2h]}, int {@code 2k + 1} {@code t1 = q[4k + 2h + 1] - 256 t0} (16-bit,
     * may wrap); per block 8 ints {@code x8init}: in half h of int k {@code -128 (q[4k + 2h] + q[4k + 2h + 1])}.
     */
    final int[] x8;
    final int[] x8init;
    private int cols;

    public Q8Activations(int maxCols) {
        int blocks = (maxCols + BLOCK - 1) / BLOCK;
        this.q = new short[blocks * BLOCK];
        this.d = new float[blocks];
        this.dsum = new float[blocks];
        int lanes = Q4_0Matrix.Q8_KERNEL ? (blocks + 7) / 8 * 8 : 0;
        this.q4a = new short[lanes * 16];
        this.q4b = new short[lanes * 16];
        this.q4offset = new int[lanes * 2];
        this.q4d = new float[lanes * 2];
        this.kd = new float[lanes * 2];
        this.kdsum = new float[lanes * 2];
        this.kpa = new short[lanes * 16];
        this.kpb = new short[lanes * 16];
        this.ppa = new short[lanes * 16];
        this.ppb = new short[lanes * 16];
        this.off16 = new int[lanes * 2];
        this.x16 = new int[InterleavedMatrix.ENABLED ? blocks * 16 : 0];
        this.x16init = new int[InterleavedMatrix.ENABLED ? blocks : 0];
        this.x8 = new int[InterleavedMatrix.ENABLED ? blocks * 16 : 0];
        this.x8init = new int[InterleavedMatrix.ENABLED ? blocks * 8 : 0];
    }

    /** Extra layouts of the levels, each for the kernels of some types ({@link CpuMatrix#q8Layouts}). */
    static final int LAYOUT_Q4_0 = 1;
    static final int LAYOUT_K = 2;
    static final int LAYOUT_Q6_K = 4;
    static final int LAYOUT_X16 = 8;
    static final int LAYOUT_X8 = 16;
    static final int ALL_LAYOUTS = LAYOUT_Q4_0 | LAYOUT_K | LAYOUT_Q6_K | LAYOUT_X16 | LAYOUT_X8;

    /** Quantizes {@code x[off .. off + cols)} with every layout; cols must be a multiple of 32. */
    public void quantize(float[] x, int off, int cols) {
        quantize(x, off, cols, ALL_LAYOUTS);
    }

    /**
     * Quantizes {@code x[off .. off + cols)} with the given extra layouts only (a bit set of
     * LAYOUT_*): decode quantizes once per product on one thread, so laying out what no matrix of
     * the product reads would cost every token.
     */
    void quantize(float[] x, int off, int cols, int layouts) {
        if (cols % BLOCK != 0 || cols > q.length) {
            throw new IllegalArgumentException("cannot quantize " + cols + " activations in blocks of " + BLOCK
                    + " into room for " + q.length);
        }
        this.cols = cols;
        if (BLOCK % L != 0 || I.length() != L) {
            quantizeScalar(x, off, cols);
        } else {
            quantizeVector(x, off, cols);
        }
        if (q4a.length > 0) {
            layout(cols / BLOCK, layouts);
        }
    }

    private void quantizeVector(float[] x, int off, int cols) {
        for (int b = 0; b < cols / BLOCK; b++) {
            int x0 = off + b * BLOCK;
            FloatVector m = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += L) {
                m = m.max(FloatVector.fromArray(F, x, x0 + j).abs());
            }
            float scale = m.reduceLanes(VectorOperators.MAX) / 127f;
            float inv = scale != 0 ? 1f / scale : 0f;
            IntVector sum = IntVector.zero(I);
            for (int j = 0; j < BLOCK; j += L) {
                // Math.round: floor(v + 0.5), with floor from truncation corrected below zero
                FloatVector y = FloatVector.fromArray(F, x, x0 + j).mul(inv).add(0.5f);
                IntVector t = (IntVector) y.convert(VectorOperators.F2I, 0);
                FloatVector tf = (FloatVector) t.convert(VectorOperators.I2F, 0);
                t = t.sub(1, tf.compare(VectorOperators.GT, y).cast(I));
                sum = sum.add(t);
                ((ShortVector) t.convertShape(VectorOperators.I2S, S, 0)).intoArray(q, b * BLOCK + j);
            }
            d[b] = scale;
            dsum[b] = scale * sum.reduceLanes(VectorOperators.ADD);
        }
    }

    private void layout(int blocks, int layouts) {
        short[] q = this.q;
        if ((layouts & LAYOUT_Q4_0) != 0) {
            for (int b = 0; b < blocks; b++) {
                int sum = 0;
                for (int h = 0; h < 2; h++) {
                    int lane = (b / 4) * 64 + h * 32 + (b % 4) * 8;
                    int e = b * BLOCK + 8 * h;
                    for (int j = 0; j < 8; j++) {
                        short lo = q[e + j];
                        short hi = q[e + 16 + j];
                        q4a[lane + j] = lo;
                        q4b[lane + j] = (short) (hi - 16 * lo);
                        sum += lo + hi;
                    }
                }
                q4offset[2 * b] = -8 * sum;
            }
        }
        if ((layouts & (LAYOUT_Q4_0 | LAYOUT_Q6_K)) != 0) {
            for (int b = 0; b < blocks; b++) {
                q4d[2 * b] = d[b];
                q4d[2 * b + 1] = d[b];
            }
        }
        if ((layouts & LAYOUT_K) != 0) {
            for (int b = 0; b < blocks; b++) {
                kd[(b / 8) * 16 + b % 8] = d[b];
                kd[(b / 8) * 16 + 8 + b % 8] = d[b];
                kdsum[(b / 8) * 16 + b % 8] = dsum[b];
            }
            for (int lane = 0; lane < blocks / 8 * 128; lane++) {
                int i = lane % 16;
                int g = 2 * ((lane % 128) / 64) + (lane % 32) / 16;
                int t = (lane % 64) / 32;
                int e = (lane / 128) * 256 + 64 * g + 32 * t + 2 * i;
                kpa[lane] = q[e];
                kpb[lane] = (short) (q[e + 1] - 256 * q[e]);
            }
        }
        if ((layouts & LAYOUT_X16) != 0 && x16.length > 0) {
            layoutX16(blocks);
        }
        if ((layouts & LAYOUT_X8) != 0 && x8.length > 0) {
            layoutX8(blocks);
        }
        if ((layouts & LAYOUT_Q6_K) != 0) {
            for (int j = 0; j < blocks * 16; j++) {
                ppa[j] = q[2 * j];
                ppb[j] = (short) (q[2 * j + 1] - 256 * q[2 * j]);
            }
            for (int k = 0; k < blocks * 2; k++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) {
                    sum += q[16 * k + i];
                }
                off16[k] = -32 * sum;
            }
        }
    }

    private void layoutX16(int blocks) {
        short[] q = this.q;
        for (int b = 0; b < blocks; b++) {
            int e = b * BLOCK;
            int sum0 = 0;
            int sum1 = 0;
            for (int k = 0; k < 4; k++) {
                int t0 = 0;
                int t1 = 0;
                int t2 = 0;
                int t3 = 0;
                for (int h = 0; h < 2; h++) {
                    int p = 2 * k + h;
                    int q0 = q[e + 2 * p];
                    int q1 = q[e + 2 * p + 16];
                    int q2 = q[e + 2 * p + 1];
                    int q3 = q[e + 2 * p + 17];
                    if (h == 0) {
                        sum0 += q0 + q1 + q2 + q3;
                    } else {
                        sum1 += q0 + q1 + q2 + q3;
                    }
                    t0 |= (q0 & 0xFFFF) << (16 * h);
                    t1 |= ((q1 - 16 * q0) & 0xFFFF) << (16 * h);
                    t2 |= ((q2 - 16 * q1) & 0xFFFF) << (16 * h);
                    t3 |= ((q3 - 16 * q2) & 0xFFFF) << (16 * h);
                }
                x16[16 * b + 4 * k] = t0;
                x16[16 * b + 4 * k + 1] = t1;
                x16[16 * b + 4 * k + 2] = t2;
                x16[16 * b + 4 * k + 3] = t3;
            }
            x16init[b] = (-8 * sum0) & 0xFFFF | (-8 * sum1) << 16;
        }
    }

    private void layoutX8(int blocks) {
        short[] q = this.q;
        for (int b = 0; b < blocks; b++) {
            for (int k = 0; k < 8; k++) {
                int e = b * BLOCK + 4 * k;
                int q0 = q[e];
                int q1 = q[e + 1];
                int q2 = q[e + 2];
                int q3 = q[e + 3];
                x8[16 * b + 2 * k] = q0 & 0xFFFF | q2 << 16;
                x8[16 * b + 2 * k + 1] = (q1 - 256 * q0) & 0xFFFF | (q3 - 256 * q2) << 16;
                x8init[8 * b + k] = (-128 * (q0 + q1)) & 0xFFFF | (-128 * (q2 + q3)) << 16;
            }
        }
    }

    private void quantizeScalar(float[] x, int off, int cols) {
        for (int b = 0; b < cols / BLOCK; b++) {
            int x0 = off + b * BLOCK;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[x0 + j]));
            }
            float scale = amax / 127f;
            float inv = scale != 0 ? 1f / scale : 0f;
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                int v = Math.round(x[x0 + j] * inv);
                q[b * BLOCK + j] = (short) v;
                sum += v;
            }
            d[b] = scale;
            dsum[b] = scale * sum;
        }
    }

    public int cols() {
        return cols;
    }

    /** The value quantized element {@code j} stands for. */
    public float value(int j) {
        return d[j / BLOCK] * q[j];
    }
}
