package dev.gale.backend.cpu;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Sums of 16-bit products per sub-block of a K-quant super-block, on 512-bit vectors (32 lanes):
 * a tree of two-source word permutes (AVX-512 BW). {@link #pairs} halves two vectors into one,
 * so the 8 vectors of 32 products of a 256-element super-block become, after three levels, one
 * vector of 8-element sums; a last step adds adjacent lanes into 32-bit lanes. Each level keeps
 * the lanes of a sub-block together, in order; the callers bound the sums of each level to 16 bits.
 */
final class SubBlockSums {
    /** Whether the K-quant 8-bit kernels are used: 512-bit vectors with word permutes. */
    static final boolean ENABLED = Q4_0Matrix.Q8_KERNEL && CpuFeatures.AVX512_BW;

    static final ShortVector EVEN;
    static final ShortVector ODD;
    static final ShortVector SPREAD_A;
    static final ShortVector SPREAD_B;

    static {
        short[] even = new short[32];
        short[] odd = new short[32];
        for (int i = 0; i < 32; i++) {
            even[i] = (short) (i < 16 ? 2 * i : 32 + 2 * (i - 16));
            odd[i] = (short) (even[i] + 1);
        }
        EVEN = ShortVector.fromArray(Lanes.S512, even, 0);
        ODD = ShortVector.fromArray(Lanes.S512, odd, 0);
        // from eight groups of 8 lanes (group j at 8j of the two sources): lanes 2i, 2i + 1 of the
        // result sum lanes of group i % 8, the first 8 pairs of lanes the first half of the group
        short[] a = new short[32];
        short[] b = new short[32];
        for (int k = 0; k < 32; k++) {
            int i = k / 2;
            a[k] = (short) (8 * (i % 8) + 4 * (i / 8) + 2 * (k % 2));
            b[k] = (short) (a[k] + 1);
        }
        SPREAD_A = ShortVector.fromArray(Lanes.S512, a, 0);
        SPREAD_B = ShortVector.fromArray(Lanes.S512, b, 0);
    }

    private SubBlockSums() {
    }

    /** Sums of adjacent lanes: lane i &lt; 16 is p[2i] + p[2i + 1], lane 16 + i is q[2i] + q[2i + 1]. */
    static ShortVector pairs(ShortVector p, ShortVector q) {
        return EVEN.selectFrom(p, q).add(ODD.selectFrom(p, q));
    }

    /**
     * For eight groups of 8 lanes (group j: lanes 8j.. of p then q, j &lt; 4 in p): pair sums
     * arranged so that 32-bit lane i of {@link Lanes#pairSums} of the result belongs to group
     * {@code i % 8}; each group's two 32-bit lanes hold its first and its second four lanes.
     */
    static ShortVector spread(ShortVector p, ShortVector q) {
        return SPREAD_A.selectFrom(p, q).add(SPREAD_B.selectFrom(p, q));
    }

    /** Lane i = p[2i] + p[2i + 1] in 32 bits (for sums that need 17 bits). */
    static IntVector widePairSums(ShortVector p) {
        IntVector i = p.reinterpretAsInts();
        return i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(i.lanewise(VectorOperators.ASHR, 16));
    }
}
