package dev.gale.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The Q4_0 x 8-bit activation dot product eight blocks (144 bytes) per step, for 512-bit vectors
 * with byte permutes (AVX-512 VBMI). Per step:
 * <ol>
 *   <li>four overlapping 64-byte loads cover the eight blocks; a two-source byte permute against
 *       zero spreads the nibble bytes of four blocks into 16-bit lanes, half a block's 16 bytes
 *       per four blocks at a time, so that the two halves of a block land in the same lanes;</li>
 *   <li>per lane {@code p = w * a + (w >>> 4) * b} with {@code a = x[j]} and
 *       {@code b = x[j + 16] - 16 x[j]} (prepared by {@link Q8Activations}) equals
 *       {@code (w & 15) x[j] + (w >>> 4) x[j + 16]}: 16-bit products may wrap, the sum fits;</li>
 *   <li>the two halves are added, then two 16-bit lane-pair sums (two-source word permutes) and
 *       one 32-bit pair sum leave two integer lanes per block (|sum| &lt;= 8 x 3810 &lt; 2^15
 *       before the last, 32-bit, step);</li>
 *   <li>the offset of 8 in the nibbles comes in as {@code -8 sum(q_x)} per block, the F16 scales are
 *       permuted into 32-bit lanes and widened by bit manipulation ({@code (h << 13)} with the sign
 *       kept, times 2^112: exact for normal and subnormal halves; infinities and NaNs, which a
 *       valid file does not hold, come out as large finite values), times the activation scale,
 *       and one FMA accumulates the eight blocks.</li>
 * </ol>
 */
final class Q4_0Permuted {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    /** Whether this kernel is used: 512-bit vectors with byte and word permutes. */
    static final boolean ENABLED = Q4_0Matrix.Q8_KERNEL && CpuFeatures.AVX512_VBMI && CpuFeatures.AVX512_BW;
    static final int GROUP = 8;
    private static final int BYTES = 18;

    /** Byte k * 16 + 2j: nibble byte j of block k (k = 0..3) of the 64 bytes at a block start; odd bytes zero. */
    private static final ByteVector NIBBLES;
    /** Two-source: F16 scale of block i / 2 into the high half of int lane i (blocks 0-3 in the first source). */
    private static final ByteVector SCALES;
    private static final ShortVector EVEN;
    private static final ShortVector ODD;
    private static final ByteVector ZERO = ByteVector.zero(B);

    static {
        byte[] nibbles = new byte[64];
        for (int k = 0; k < 4; k++) {
            for (int j = 0; j < 8; j++) {
                nibbles[16 * k + 2 * j] = (byte) (BYTES * k + 2 + j);
                nibbles[16 * k + 2 * j + 1] = 64; // lane 0 of the zero vector
            }
        }
        NIBBLES = ByteVector.fromArray(B, nibbles, 0);
        byte[] scales = new byte[64];
        for (int i = 0; i < 16; i++) {
            int k = i / 2;
            int at = k < 4 ? BYTES * k : 64 + BYTES * (k - 4);
            scales[4 * i + 2] = (byte) at;
            scales[4 * i + 3] = (byte) (at + 1);
        }
        SCALES = ByteVector.fromArray(B, scales, 0);
        short[] even = new short[32];
        short[] odd = new short[32];
        for (int i = 0; i < 32; i++) {
            even[i] = (short) (i < 16 ? 2 * i : 32 + 2 * (i - 16));
            odd[i] = (short) (even[i] + 1);
        }
        EVEN = ShortVector.fromArray(S, even, 0);
        ODD = ShortVector.fromArray(S, odd, 0);
    }

    private Q4_0Permuted() {
    }

    /** Sum over the first {@code groups * 8} blocks of the row at {@code base}. */
    static float dot(MemorySegment seg, long base, int groups, Q8Activations x) {
        short[] xa = x.q4a;
        short[] xb = x.q4b;
        FloatVector acc = FloatVector.zero(F);
        for (int g = 0; g < groups; g++) {
            long at = base + g * (long) (GROUP * BYTES);
            ByteVector l0 = ByteVector.fromMemorySegment(B, seg, at, ByteOrder.LITTLE_ENDIAN);
            ByteVector l1 = ByteVector.fromMemorySegment(B, seg, at + 8, ByteOrder.LITTLE_ENDIAN);
            ByteVector l2 = ByteVector.fromMemorySegment(B, seg, at + 4 * BYTES, ByteOrder.LITTLE_ENDIAN);
            ByteVector l3 = ByteVector.fromMemorySegment(B, seg, at + 4 * BYTES + 8, ByteOrder.LITTLE_ENDIAN);
            int xo = g * 128;
            IntVector i = pairs(quad(l0, l1, xa, xb, xo), quad(l2, l3, xa, xb, xo + 64)).reinterpretAsInts();
            i = i.add(i.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                    .add(IntVector.fromArray(I, x.q4offset, g * 16));
            IntVector h = SCALES.selectFrom(l0, l2).reinterpretAsInts();
            FloatVector scale = h.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats()
                    .mul(0x1p112f).mul(FloatVector.fromArray(F, x.q4d, g * 16));
            acc = ((FloatVector) i.convert(VectorOperators.I2F, 0)).fma(scale, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dot} of two rows at once, sharing the activation loads: out[o0] for the row at base0,
     * out[o1] for the one at base1. Rows some way apart (not neighbours) stream faster together.
     */
    static void dot2(MemorySegment seg, long base0, long base1, int groups, Q8Activations x, float[] out, int o0,
                     int o1) {
        short[] xa = x.q4a;
        short[] xb = x.q4b;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int g = 0; g < groups; g++) {
            int xo = g * 128;
            IntVector off = IntVector.fromArray(I, x.q4offset, g * 16);
            FloatVector xd = FloatVector.fromArray(F, x.q4d, g * 16);
            for (int r = 0; r < 2; r++) {
                long at = (r == 0 ? base0 : base1) + g * (long) (GROUP * BYTES);
                ByteVector l0 = ByteVector.fromMemorySegment(B, seg, at, ByteOrder.LITTLE_ENDIAN);
                ByteVector l1 = ByteVector.fromMemorySegment(B, seg, at + 8, ByteOrder.LITTLE_ENDIAN);
                ByteVector l2 = ByteVector.fromMemorySegment(B, seg, at + 4 * BYTES, ByteOrder.LITTLE_ENDIAN);
                ByteVector l3 = ByteVector.fromMemorySegment(B, seg, at + 4 * BYTES + 8, ByteOrder.LITTLE_ENDIAN);
                IntVector i = pairs(quad(l0, l1, xa, xb, xo), quad(l2, l3, xa, xb, xo + 64)).reinterpretAsInts();
                i = i.add(i.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).add(off);
                IntVector h = SCALES.selectFrom(l0, l2).reinterpretAsInts();
                FloatVector scale = h.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats()
                        .mul(0x1p112f).mul(xd);
                if (r == 0) {
                    acc0 = ((FloatVector) i.convert(VectorOperators.I2F, 0)).fma(scale, acc0);
                } else {
                    acc1 = ((FloatVector) i.convert(VectorOperators.I2F, 0)).fma(scale, acc1);
                }
            }
        }
        out[o0] = acc0.reduceLanes(VectorOperators.ADD);
        out[o1] = acc1.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Four blocks from the 64 bytes at their start (l0) and 8 bytes on (l1): 8 lanes per block,
     * each a sum of four products.
     */
    private static ShortVector quad(ByteVector l0, ByteVector l1, short[] xa, short[] xb, int xo) {
        return products(NIBBLES.selectFrom(l0, ZERO).reinterpretAsShorts(), xa, xb, xo)
                .add(products(NIBBLES.selectFrom(l1, ZERO).reinterpretAsShorts(), xa, xb, xo + 32));
    }

    private static ShortVector products(ShortVector w, short[] xa, short[] xb, int xo) {
        return w.mul(ShortVector.fromArray(S, xa, xo))
                .add(w.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xb, xo)));
    }

    /** Sums of adjacent lanes: p's 16 pairs, then q's. */
    private static ShortVector pairs(ShortVector p, ShortVector q) {
        return EVEN.selectFrom(p, q).add(ODD.selectFrom(p, q));
    }
}
