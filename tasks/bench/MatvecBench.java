// Microbenchmark of Q4_0 / Q8_0 matrix-vector kernels over the FFN matrices of a model file (all
// layers in turn, so the weights stream from memory as in decode). Not part of the test suite.
// usage: java --add-modules jdk.incubator.vector -cp target/classes:target/lib/* \
//          tasks/bench/MatvecBench.java MODEL.gguf [threads] [seconds]
import dev.gale.backend.cpu.Parallel;
import dev.gale.model.Model;
import dev.gale.model.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

public class MatvecBench {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Long> L512 = LongVector.SPECIES_512;

    interface Kernel {
        void rows(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1);
    }

    public static void main(String[] a) throws Exception {
        Model m = Model.load(Path.of(a[0]));
        int threads = a.length > 1 ? Integer.parseInt(a[1]) : 1;
        double secs = a.length > 2 ? Double.parseDouble(a[2]) : 3;
        List<Tensor> ts = new ArrayList<>();
        for (var l : m.weights().layers()) {
            ts.add(l.ffnGate());
            ts.add(l.ffnUp());
        }
        Tensor t0 = ts.get(0);
        int cols = t0.cols();
        int rows = t0.rows();
        float[] out;
        float[] x = new float[cols];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        short[] xq = new short[cols];
        float[] xd = new float[cols / 32];
        quantize(x, xq, xd);
        out = new float[rows];
        Parallel par = new Parallel(threads);
        String type = t0.type().name();
        List<String> names = new ArrayList<>(List.of("stream"));
        if (type.equals("Q4_0")) names.addAll(List.of("q4f256", "q4f512", "q4i16", "q4i16c", "gale"));
        if (System.getenv("HOT") != null) { ts.clear(); for (int i = 0; i < 8; i++) ts.add(new Tensor("hot", t0.type(), 1024, cols, t0.data().asSlice(0, 1024 * t0.rowBytes()))); rows = 1024; out = new float[rows]; }
        if (type.equals("Q8_0")) names.addAll(List.of("q8f256", "q8f512", "q8i16", "gale"));
        TYPE = t0.type();
        float[] ref = new float[rows];
        final int rowsF = rows; final float[] outF = out;
        for (int rep = 0; rep < 2; rep++) {
            for (String name : names) {
                Kernel k = kernel(name);
                // correctness vs q4f256 on the first matrix
                k.rows(t0.data(), cols, x, xq, xd, out, 0, rows);
                if (name.endsWith("f256")) System.arraycopy(out, 0, ref, 0, rows);
                double err = 0, sc = 0;
                for (int i = 0; i < rows; i++) { err = Math.max(err, Math.abs(out[i] - ref[i])); sc = Math.max(sc, Math.abs(ref[i])); }
                long bytes = 0;
                var mx = java.lang.management.ManagementFactory.getThreadMXBean();
                long cpu0 = mx.getCurrentThreadCpuTime();
                long start = System.nanoTime();
                int passes = 0;
                while (System.nanoTime() - start < secs * 1e9) {
                    for (Tensor t : ts) {
                        MemorySegment w = t.data();
                        par.forChunks(rowsF, 64, (s, r0, r1) -> k.rows(w, cols, x, xq, xd, outF, r0, r1));
                        bytes += w.byteSize();
                    }
                    passes++;
                }
                double el = (System.nanoTime() - start) / 1e9;
                double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
                System.out.printf("%-10s threads %d: %6.2f GB/s wall, %6.2f GB per main-thread CPU s (rel err vs f256 %.2g)%n", name, threads, bytes / el / 1e9, bytes / cpu / 1e9 / threads,
                        name.equals("stream") ? 0 : err / sc);
            }
        }
        par.close();
        m.close();
    }

    static void quantize(float[] x, short[] xq, float[] xd) {
        for (int b = 0; b < xd.length; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
            float d = amax / 127f;
            xd[b] = d;
            float id = d == 0 ? 0 : 1 / d;
            for (int j = 0; j < 32; j++) xq[b * 32 + j] = (short) Math.round(x[b * 32 + j] * id);
        }
    }

    static Kernel kernel(String name) {
        return switch (name) {
            case "stream" -> MatvecBench::stream;
            case "gale" -> MatvecBench::gale;
            case "q4f256" -> MatvecBench::q4f256;
            case "q4f512" -> MatvecBench::q4f512;
            case "q4i16" -> MatvecBench::q4i16;
            case "q4i16c" -> MatvecBench::q4i16c;
            case "q8f256" -> MatvecBench::q8f256;
            case "q8f512" -> MatvecBench::q8f512;
            case "q8i16" -> MatvecBench::q8i16;
            default -> throw new IllegalArgumentException(name);
        };
    }

    static final java.util.Map<MemorySegment, dev.gale.backend.cpu.CpuMatrix> MATS = new java.util.IdentityHashMap<>();
    static dev.gale.backend.cpu.Q8Activations QA;
    static dev.gale.gguf.GGMLType TYPE;
    static void gale(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        dev.gale.backend.cpu.CpuMatrix m;
        synchronized (MATS) {
            m = MATS.computeIfAbsent(w, s -> dev.gale.backend.cpu.CpuMatrix.of(new Tensor("t", TYPE, out.length, cols, s)));
            if (QA == null) { QA = new dev.gale.backend.cpu.Q8Activations(cols); QA.quantize(x, 0, cols); }
        }
        m.dotRows(r0, r1, x, 0, QA, out, r0);
    }

    static void stream(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        long rb = w.byteSize() / out.length;
        for (int r = r0; r < r1; r++) {
            LongVector acc = LongVector.zero(L512);
            long base = r * rb;
            long i = 0;
            for (; i + 64 <= rb; i += 64) {
                acc = acc.add(LongVector.fromMemorySegment(L512, w, base + i, ByteOrder.LITTLE_ENDIAN));
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4f256(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        long rb = cols / 32 * 18L;
        for (int r = r0; r < r1; r++) {
            long base = r * rb;
            FloatVector acc = FloatVector.zero(F256);
            for (int b = 0; b < cols / 32; b++) {
                long block = base + b * 18L;
                float d = Float.float16ToFloat(w.get(I16, block));
                int xb = b * 32;
                FloatVector sum = FloatVector.zero(F256);
                for (int j = 0; j < 16; j += 8) {
                    ByteVector q = ByteVector.fromMemorySegment(B64, w, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                    ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                    FloatVector wl = (FloatVector) lo.convertShape(VectorOperators.B2F, F256, 0);
                    FloatVector wh = (FloatVector) hi.convertShape(VectorOperators.B2F, F256, 0);
                    sum = wl.fma(FloatVector.fromArray(F256, x, xb + j), sum);
                    sum = wh.fma(FloatVector.fromArray(F256, x, xb + j + 16), sum);
                }
                acc = sum.fma(FloatVector.broadcast(F256, d), acc);
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q4f512(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        long rb = cols / 32 * 18L;
        for (int r = r0; r < r1; r++) {
            long base = r * rb;
            FloatVector acc = FloatVector.zero(F512);
            for (int b = 0; b < cols / 32; b++) {
                long block = base + b * 18L;
                float d = Float.float16ToFloat(w.get(I16, block));
                int xb = b * 32;
                ByteVector q = ByteVector.fromMemorySegment(B128, w, block + 2, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                FloatVector wl = (FloatVector) lo.convertShape(VectorOperators.B2F, F512, 0);
                FloatVector wh = (FloatVector) hi.convertShape(VectorOperators.B2F, F512, 0);
                FloatVector sum = wl.mul(FloatVector.fromArray(F512, x, xb));
                sum = wh.fma(FloatVector.fromArray(F512, x, xb + 16), sum);
                acc = sum.fma(FloatVector.broadcast(F512, d), acc);
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    /** x as int16 (quantized per 32-block), weights widened to int16; a block's 32 products fit int16. */
    static void q4i16(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        long rb = cols / 32 * 18L;
        for (int r = r0; r < r1; r++) {
            long base = r * rb;
            FloatVector acc = FloatVector.zero(F512);
            for (int b = 0; b < cols / 32; b++) {
                long block = base + b * 18L;
                float d = Float.float16ToFloat(w.get(I16, block)) * xd[b];
                int xb = b * 32;
                ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, w, block + 2, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S256, 0);
                ShortVector lo = q.and((short) 0x0F).sub((short) 8);
                ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).sub((short) 8);
                ShortVector p = lo.mul(ShortVector.fromArray(S256, xq, xb))
                        .add(hi.mul(ShortVector.fromArray(S256, xq, xb + 16)));
                FloatVector pf = (FloatVector) p.convertShape(VectorOperators.S2F, F512, 0);
                acc = pf.fma(FloatVector.broadcast(F512, d), acc);
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    /** like b, but two blocks per iteration with independent accumulators. */
    static void q4i16c(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        float[] c = corr(xq, xd);
        long rb = cols / 32 * 18L;
        for (int r = r0; r < r1; r++) {
            long base = r * rb;
            FloatVector acc0 = FloatVector.zero(F512);
            FloatVector acc1 = FloatVector.zero(F512);
            float off = 0;
            for (int b = 0; b < cols / 32; b += 2) {
                long block = base + b * 18L;
                float dw0 = Float.float16ToFloat(w.get(I16, block));
                float dw1 = Float.float16ToFloat(w.get(I16, block + 18));
                off += dw0 * c[b] + dw1 * c[b + 1];
                int xb = b * 32;
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, block + 2, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S256, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, block + 20, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S256, 0);
                ShortVector p0 = q0.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, xb))
                        .add(q0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S256, xq, xb + 16)));
                ShortVector p1 = q1.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, xb + 32))
                        .add(q1.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S256, xq, xb + 48)));
                acc0 = ((FloatVector) p0.convertShape(VectorOperators.S2F, F512, 0)).fma(FloatVector.broadcast(F512, dw0 * xd[b]), acc0);
                acc1 = ((FloatVector) p1.convertShape(VectorOperators.S2F, F512, 0)).fma(FloatVector.broadcast(F512, dw1 * xd[b + 1]), acc1);
            }
            out[r] = acc0.add(acc1).reduceLanes(VectorOperators.ADD) - off;
        }
    }

    static float[] xc;
    static float[] corr(short[] xq, float[] xd) {
        float[] c = xc;
        if (c == null || c.length != xd.length) {
            c = new float[xd.length];
            for (int b = 0; b < xd.length; b++) {
                int s = 0;
                for (int j = 0; j < 32; j++) s += xq[b * 32 + j];
                c[b] = 8f * s * xd[b];
            }
            xc = c;
        }
        return c;
    }

    static void q8f256(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        long rb = cols / 32 * 34L;
        for (int r = r0; r < r1; r++) {
            long base = r * rb;
            FloatVector acc = FloatVector.zero(F256);
            for (int b = 0; b < cols / 32; b++) {
                long block = base + b * 34L;
                float d = Float.float16ToFloat(w.get(I16, block));
                FloatVector sum = FloatVector.zero(F256);
                for (int j = 0; j < 32; j += 8) {
                    ByteVector q = ByteVector.fromMemorySegment(B64, w, block + 2 + j, ByteOrder.LITTLE_ENDIAN);
                    FloatVector wv = (FloatVector) q.convertShape(VectorOperators.B2F, F256, 0);
                    sum = wv.fma(FloatVector.fromArray(F256, x, b * 32 + j), sum);
                }
                acc = sum.fma(FloatVector.broadcast(F256, d), acc);
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    static void q8f512(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        long rb = cols / 32 * 34L;
        for (int r = r0; r < r1; r++) {
            long base = r * rb;
            FloatVector acc = FloatVector.zero(F512);
            for (int b = 0; b < cols / 32; b++) {
                long block = base + b * 34L;
                float d = Float.float16ToFloat(w.get(I16, block));
                FloatVector w0 = (FloatVector) ByteVector.fromMemorySegment(B128, w, block + 2, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F512, 0);
                FloatVector w1 = (FloatVector) ByteVector.fromMemorySegment(B128, w, block + 18, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F512, 0);
                FloatVector sum = w0.mul(FloatVector.fromArray(F512, x, b * 32));
                sum = w1.fma(FloatVector.fromArray(F512, x, b * 32 + 16), sum);
                acc = sum.fma(FloatVector.broadcast(F512, d), acc);
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    /** Q8_0 x int16 activations: products widened in pairs to int32 before they can overflow. */
    static void q8i16(MemorySegment w, int cols, float[] x, short[] xq, float[] xd, float[] out, int r0, int r1) {
        long rb = cols / 32 * 34L;
        for (int r = r0; r < r1; r++) {
            long base = r * rb;
            FloatVector acc = FloatVector.zero(F512);
            for (int b = 0; b < cols / 32; b++) {
                long block = base + b * 34L;
                float d = Float.float16ToFloat(w.get(I16, block)) * xd[b];
                ShortVector q0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, block + 2, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S256, 0);
                ShortVector q1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, block + 18, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2S, S256, 0);
                ShortVector p0 = q0.mul(ShortVector.fromArray(S256, xq, b * 32));
                ShortVector p1 = q1.mul(ShortVector.fromArray(S256, xq, b * 32 + 16));
                // 127 * 127 fits int16, a sum of two does not always: widen first
                IntVector i0 = (IntVector) p0.convertShape(VectorOperators.S2I, IntVector.SPECIES_512, 0);
                IntVector i1 = (IntVector) p1.convertShape(VectorOperators.S2I, IntVector.SPECIES_512, 0);
                FloatVector pf = (FloatVector) i0.add(i1).convertShape(VectorOperators.I2F, F512, 0);
                acc = pf.fma(FloatVector.broadcast(F512, d), acc);
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
