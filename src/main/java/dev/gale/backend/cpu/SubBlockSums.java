package dev.gale.backend.cpu;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * The permutes with which the 8-bit K-quant kernels sum 16-bit pair sums per sub-block of a
 * 256-element super-block, on 512-bit vectors (32 lanes) with two-source word permutes (AVX-512
 * BW). One level {@code pairs(p, q) = EVEN.selectFrom(p, q) + ODD.selectFrom(p, q)} halves two
 * vectors into one: lane i &lt; 16 is {@code p[2i] + p[2i + 1]}, lane 16 + i is
 * {@code q[2i] + q[2i + 1]}, so the lanes of a sub-block stay together and in order. A last step
 * adds adjacent 16-bit lanes into 32-bit lanes: {@code (i + (i << 16)) >> 16} of the int lanes i
 * where the sum fits 16 bits, {@code ((i << 16) >> 16) + (i >> 16)} where it needs 17. The
 * callers bound the sums of each level to 16 bits.
 *
 * <p>For 32-element sub-blocks (Q4_K, Q5_K), whose four vectors of pair sums hold sub-blocks
 * 0|2, 1|3, 4|6, 5|7, the second level uses {@code SWAPPED_SPREAD_A/B} instead of EVEN/ODD: from
 * eight groups of 8 lanes (in the order 0, 2, 1, 3, 4, 6, 5, 7 over p then q) it leaves 32-bit
 * lane i for sub-block {@code i % 8} (its first four lanes for i &lt; 8, the other four for
 * i &ge; 8), so that the eight sub-block scales, as 16 bytes holding them twice, widen straight
 * into the matching lanes.
 *
 * <p>The kernels write these steps out rather than call helpers: in a method with this many
 * Vector API operations the JIT runs out of its inlining budget for plain calls
 * (NodeCountInliningCutoff), and vectors passed to a call left out of line are boxed on the heap.
 */
final class SubBlockSums {
    /** Whether the K-quant 8-bit kernels are used: 512-bit vectors with word permutes. */
    static final boolean ENABLED = Q4_0Matrix.Q8_KERNEL && CpuFeatures.AVX512_BW;

    static final ShortVector EVEN;
    static final ShortVector ODD;
    /** See above: 32-bit lane i of the pair sums for sub-block {@code i % 8}. */
    static final ShortVector SWAPPED_SPREAD_A;
    static final ShortVector SWAPPED_SPREAD_B;
    /** 32-bit lanes: {@code pairs} on 16 lanes. */
    static final IntVector EVEN_INTS;
    static final IntVector ODD_INTS;
    /** Single-source: the low / high 16 lanes twice. */
    static final ShortVector LOW_TWICE;
    static final ShortVector HIGH_TWICE;

    static {
        short[] even = new short[32];
        short[] odd = new short[32];
        for (int i = 0; i < 32; i++) {
            even[i] = (short) (i < 16 ? 2 * i : 32 + 2 * (i - 16));
            odd[i] = (short) (even[i] + 1);
        }
        EVEN = ShortVector.fromArray(Lanes.S512, even, 0);
        ODD = ShortVector.fromArray(Lanes.S512, odd, 0);
        short[] a = new short[32];
        short[] b = new short[32];
        int[] at = {0, 2, 1, 3, 4, 6, 5, 7}; // where sub-block j's group of 8 lanes is
        for (int k = 0; k < 32; k++) {
            int i = k / 2; // the 32-bit lane
            a[k] = (short) (8 * at[i % 8] + 4 * (i / 8) + 2 * (k % 2));
            b[k] = (short) (a[k] + 1);
        }
        SWAPPED_SPREAD_A = ShortVector.fromArray(Lanes.S512, a, 0);
        SWAPPED_SPREAD_B = ShortVector.fromArray(Lanes.S512, b, 0);
        int[] evenInts = new int[16];
        int[] oddInts = new int[16];
        for (int i = 0; i < 16; i++) {
            evenInts[i] = i < 8 ? 2 * i : 16 + 2 * (i - 8);
            oddInts[i] = evenInts[i] + 1;
        }
        EVEN_INTS = IntVector.fromArray(IntVector.SPECIES_512, evenInts, 0);
        ODD_INTS = IntVector.fromArray(IntVector.SPECIES_512, oddInts, 0);
        short[] low = new short[32];
        short[] high = new short[32];
        for (int i = 0; i < 32; i++) {
            low[i] = (short) (i % 16);
            high[i] = (short) (16 + i % 16);
        }
        LOW_TWICE = ShortVector.fromArray(Lanes.S512, low, 0);
        HIGH_TWICE = ShortVector.fromArray(Lanes.S512, high, 0);
    }

    private SubBlockSums() {
    }
}
