package dev.gale.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Steps shared by the 8-bit activation kernels of the K-quants, on 512-bit vectors: 32 bytes
 * widened to 16-bit lanes, and sums of adjacent 16-bit lanes as 32-bit lanes.
 */
final class Lanes {
    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;

    private Lanes() {
    }

    /** The 32 bytes at {@code at}, zero-extended to 16 bits. */
    static ShortVector bytes(MemorySegment seg, long at) {
        return (ShortVector) ByteVector.fromMemorySegment(B256, seg, at, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S512, 0);
    }

    /**
     * Lane i = p[2i] + p[2i + 1] (signed), for sums that fit 16 bits: p's int lanes plus themselves
     * shifted up 16 hold the sum in their high half.
     */
    static IntVector pairSums(ShortVector p) {
        IntVector i = p.reinterpretAsInts();
        return i.add(i.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }
}
