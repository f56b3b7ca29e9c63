// Microbenchmark of Gale's matrix-vector kernels over the FFN gate and up matrices of a model file (all
// layers in turn, so the weights stream from memory as in decode), against a plain memory read of the
// same bytes. Kernels: "q8" (8-bit activations, when the type has them here) and "f32" (float
// activations), through CpuMatrix.dotRows as decode calls them. Not part of the test suite.
// HOT=1 in the environment uses 8 copies of the first 1024 rows instead (data in cache: compute speed).
// usage: java --add-modules jdk.incubator.vector -cp target/classes:target/lib/* \
//          tasks/bench/MatvecBench.java MODEL.gguf [threads] [seconds]
import dev.gale.backend.cpu.CpuMatrix;
import dev.gale.backend.cpu.Parallel;
import dev.gale.backend.cpu.Q8Activations;
import dev.gale.model.Model;
import dev.gale.model.Tensor;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

public class MatvecBench {
    static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    public static void main(String[] a) throws Exception {
        int threads = a.length > 1 ? Integer.parseInt(a[1]) : 1;
        double secs = a.length > 2 ? Double.parseDouble(a[2]) : 3;
        try (Model m = Model.load(Path.of(a[0])); Parallel par = new Parallel(threads)) {
            List<Tensor> ts = new ArrayList<>();
            for (var l : m.weights().layers()) {
                ts.add(l.ffnGate());
                ts.add(l.ffnUp());
            }
            Tensor t0 = ts.get(0);
            if (System.getenv("HOT") != null) {
                Tensor hot = new Tensor("hot", t0.type(), 1024, t0.cols(), t0.data().asSlice(0, 1024 * t0.rowBytes()));
                ts = new ArrayList<>(java.util.Collections.nCopies(8, hot));
            }
            List<CpuMatrix> ms = ts.stream().map(CpuMatrix::of).toList();
            int rows = ms.get(0).rows();
            int cols = ms.get(0).cols();
            float[] x = new float[cols];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < cols; i++) {
                x[i] = (float) r.nextGaussian();
            }
            Q8Activations xq = new Q8Activations(cols);
            xq.quantize(x, 0, cols);
            float[] exact = new float[rows];
            float[] out = new float[rows];
            ms.get(0).dotRows(0, rows, x, 0, null, exact, 0);
            List<String> kernels = new ArrayList<>(List.of("stream", "f32"));
            if (ms.get(0).supportsQ8()) {
                kernels.add("q8");
            }
            System.out.printf("%s, %d x %d, %d matrices, %d threads%n", t0.type(), rows, cols, ms.size(), threads);
            for (int rep = 0; rep < 2; rep++) {
                for (String k : kernels) {
                    Q8Activations q = k.equals("q8") ? xq : null;
                    boolean stream = k.equals("stream");
                    if (!stream) {
                        ms.get(0).dotRows(0, rows, x, 0, q, out, 0);
                    }
                    double err = 0;
                    double scale = 0;
                    for (int i = 0; i < rows && !stream; i++) {
                        err = Math.max(err, Math.abs(out[i] - exact[i]));
                        scale = Math.max(scale, Math.abs(exact[i]));
                    }
                    long bytes = 0;
                    var mx = ManagementFactory.getThreadMXBean();
                    long cpu0 = mx.getCurrentThreadCpuTime();
                    long start = System.nanoTime();
                    while (System.nanoTime() - start < secs * 1e9) {
                        for (CpuMatrix mat : ms) {
                            MemorySegment w = mat.tensor().data();
                            par.forChunks(rows, 64, (s, r0, r1) -> {
                                if (stream) {
                                    read(w, mat.tensor().rowBytes(), out, r0, r1);
                                } else {
                                    mat.dotRows(r0, r1, x, 0, q, out, r0);
                                }
                            });
                            bytes += w.byteSize();
                        }
                    }
                    double wall = (System.nanoTime() - start) / 1e9;
                    double cpu = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
                    System.out.printf("%-7s %6.2f GB/s wall, %6.2f GB per main-thread CPU s, max error / scale vs f32 %.2g%n",
                            k, bytes / wall / 1e9, bytes / cpu / 1e9 / threads, scale == 0 ? 0 : err / scale);
                }
            }
        }
    }

    /** The memory-read baseline: sums each row's bytes as longs. */
    static void read(MemorySegment w, long rowBytes, float[] out, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            LongVector acc = LongVector.zero(L);
            long base = r * rowBytes;
            long i = 0;
            for (; i + L.vectorByteSize() <= rowBytes; i += L.vectorByteSize()) {
                acc = acc.add(LongVector.fromMemorySegment(L, w, base + i, ByteOrder.LITTLE_ENDIAN));
            }
            out[r] = acc.reduceLanes(VectorOperators.ADD);
        }
    }
}
