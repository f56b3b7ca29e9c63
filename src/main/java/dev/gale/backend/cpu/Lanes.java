package dev.gale.backend.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes of the 8-bit activation kernels of the K-quants: 32 bytes of weights at a time,
 * zero-extended to 16-bit lanes of a 512-bit vector (one instruction), where they are multiplied
 * with the 16-bit activations.
 */
final class Lanes {
    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;

    private Lanes() {
    }
}
