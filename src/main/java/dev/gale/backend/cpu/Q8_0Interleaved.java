package dev.gale.backend.cpu;

import dev.gale.model.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The Q8_0 kernel of {@link InterleavedMatrix}. Per group and block, 544 bytes: bytes
 * {@code 64k + 4r .. 64k + 4r + 3} (k = 0..7, r = 0..15) are weights {@code 4k .. 4k + 3} of row r's
 * block stored offset by 128 ({@code u = q + 128}, 0..255); bytes {@code 512 + 2r} row r's F16 scale.
 * Every 16-bit lane of a load holds two weights {@code u0 + 256 u1}; with activations prepared once
 * per product ({@link Q8Activations#x8}) {@code w t0 + (w >>> 8) t1}, {@code t0 = x0},
 * {@code t1 = x1 - 256 x0}, equals {@code u0 x0 + u1 x1} modulo 2^16, and the lane starts at
 * {@code -128 (x0 + x1)}, so it ends at {@code q0 x0 + q1 x1}, |.| &lt;= 2 * 128 * 127: each load's
 * lanes are widened to 32 bits before the next. Two groups go together, sharing the activation
 * broadcasts.
 */
final class Q8_0Interleaved extends InterleavedMatrix {
    static final int GROUP_BYTES = 544;


    Q8_0Interleaved(Tensor t, MemorySegment packed, int stride) {
        super(t, packed, stride, new Q8_0Matrix(t));
    }

    /** Row r's block (34 bytes at {@code from}) into its group's block at {@code to}. */
    static void repackBlock(MemorySegment src, long from, MemorySegment dst, long to, int r) {
        for (int k = 0; k < 8; k++) {
            dst.set(Layouts.I32, to + 64 * k + 4 * r, src.get(Layouts.I32, from + 2 + 4 * k) ^ 0x80808080);
        }
        dst.set(Layouts.I16, to + 512 + 2 * r, src.get(Layouts.I16, from));
    }

    @Override
    int q8Layouts() {
        return Q8Activations.LAYOUT_X8;
    }

    @Override
    void groups(int ga, int gb, Q8Activations x, float[] out, int oa, int ob) {
        MemorySegment seg = packed;
        int[] act = x.x8;
        int[] init = x.x8init;
        float[] xd = x.d;
        long baseA = (long) ga * stride * GROUP_BYTES;
        long baseB = (long) gb * stride * GROUP_BYTES;
        FloatVector accA = FloatVector.zero(F);
        FloatVector accB = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long atA = baseA + (long) b * GROUP_BYTES;
            long atB = baseB + (long) b * GROUP_BYTES;
            IntVector iA = IntVector.zero(I);
            IntVector iB = IntVector.zero(I);
            for (int k = 0; k < 8; k++) {
                ShortVector t0 = IntVector.broadcast(I, act[16 * b + 2 * k]).reinterpretAsShorts();
                ShortVector t1 = IntVector.broadcast(I, act[16 * b + 2 * k + 1]).reinterpretAsShorts();
                ShortVector c = IntVector.broadcast(I, init[8 * b + k]).reinterpretAsShorts();
                ShortVector wA = ShortVector.fromMemorySegment(S, seg, atA + 64 * k, ByteOrder.LITTLE_ENDIAN);
                ShortVector wB = ShortVector.fromMemorySegment(S, seg, atB + 64 * k, ByteOrder.LITTLE_ENDIAN);
                IntVector pA = wA.mul(t0).add(wA.lanewise(VectorOperators.LSHR, 8).mul(t1)).add(c).reinterpretAsInts();
                IntVector pB = wB.mul(t0).add(wB.lanewise(VectorOperators.LSHR, 8).mul(t1)).add(c).reinterpretAsInts();
                // both 16-bit halves, sign-extended, added in 32 bits
                iA = iA.add(pA.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                        .add(pA.lanewise(VectorOperators.ASHR, 16));
                iB = iB.add(pB.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                        .add(pB.lanewise(VectorOperators.ASHR, 16));
            }
            float d = xd[b];
            // F16 scales widened by bit manipulation as in Q4_0Interleaved; written out per group
            // for the same reason (a helper taking vectors is not reliably inlined here)
            IntVector hA = (IntVector) ShortVector.fromMemorySegment(S256, seg, atA + 512, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            accA = ((FloatVector) iA.convert(VectorOperators.I2F, 0))
                    .fma(hA.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).mul(d), accA);
            IntVector hB = (IntVector) ShortVector.fromMemorySegment(S256, seg, atB + 512, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, I, 0);
            accB = ((FloatVector) iB.convert(VectorOperators.I2F, 0))
                    .fma(hB.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f).mul(d), accB);
        }
        accA.intoArray(out, oa);
        accB.intoArray(out, ob);
    }
}
