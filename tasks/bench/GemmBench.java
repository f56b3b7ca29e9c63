// Single-thread CPU-time benchmark of the CPU backend's prefill product (CpuMatrix.matmul) and decode
// product (matvec) on one matrix of a model file. Not part of the test suite.
// usage: java --add-modules jdk.incubator.vector -cp target/classes:target/lib/* \
//          tasks/bench/GemmBench.java MODEL.gguf [tokens] [seconds] [rows]
import dev.gale.backend.cpu.CpuMatrix;
import dev.gale.backend.cpu.Parallel;
import dev.gale.model.Model;
import dev.gale.model.Tensor;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.SplittableRandom;

public class GemmBench {
    public static void main(String[] a) throws Exception {
        Model m = Model.load(Path.of(a[0]));
        int n = a.length > 1 ? Integer.parseInt(a[1]) : 64;
        double secs = a.length > 2 ? Double.parseDouble(a[2]) : 3;
        Tensor t = m.weights().layers()[0].ffnGate();
        // 1024 rows by default (they stay in L3); all rows (streamed from memory) with rows = 0
        int rows = a.length > 3 ? Integer.parseInt(a[3]) : 1024;
        rows = rows <= 0 ? t.rows() : Math.min(rows, t.rows());
        t = new Tensor(t.name(), t.type(), rows, t.cols(), t.data().asSlice(0, rows * t.rowBytes()));
        CpuMatrix w = CpuMatrix.of(t);
        float[] x = new float[n * w.cols()];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] out = new float[n * w.rows()];
        var mx = ManagementFactory.getThreadMXBean();
        double gmac = 0;
        try (Parallel p = new Parallel(1)) {
            for (int rep = 0; rep < 3; rep++) {
                long c0 = mx.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                long macs = 0;
                while (mx.getCurrentThreadCpuTime() - c0 < secs * 1e9) {
                    w.matmul(x, n, out, p);
                    macs += (long) n * w.rows() * w.cols();
                }
                double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
                gmac = macs / cpu / 1e9;
                System.out.printf("%s %dx%d, %d tokens: %.1f GMAC per CPU s (wall %.1f)%n", t.type(), w.rows(), w.cols(), n,
                        macs / cpu / 1e9, macs / ((System.nanoTime() - w0) / 1e9) / 1e9);
            }
            // the share of decoding weights to floats (done once per chunk in matmul)
            float[] buf = new float[256];
            for (int rep = 0; rep < 2; rep++) {
                long c0 = mx.getCurrentThreadCpuTime();
                long elems = 0;
                while (mx.getCurrentThreadCpuTime() - c0 < secs * 1e9 / 3) {
                    for (int row = 0; row < w.rows(); row++) {
                        for (int k = 0; k + 256 <= w.cols(); k += 256) {
                            w.dequantize(row, k, 256, buf, 0);
                        }
                    }
                    elems += (long) w.rows() * w.cols();
                }
                double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
                System.out.printf("dequantize: %.2f G elements per CPU s = %.1f%% of the %d-token product%n",
                        elems / cpu / 1e9, 100 * gmac / (elems / cpu / 1e9 * n), n);
            }
        }
        m.close();
    }
}
