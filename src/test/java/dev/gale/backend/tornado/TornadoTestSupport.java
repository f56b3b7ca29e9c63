package dev.gale.backend.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.SplittableRandom;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs single kernels on the TornadoVM device the tests use (the backend in
 * {@code -Dgale.tornado.test.backend}, opencl by default: PoCL on a machine without a GPU). The
 * TornadoVM tests run in their own surefire execution whose JVM has TornadoVM's flags and
 * {@code -Dtornado.recover.bailout=False}, so a kernel TornadoVM cannot compile fails instead of
 * quietly running as Java.
 */
final class TornadoTestSupport {
    static final String BACKEND = System.getProperty("gale.tornado.test.backend", "opencl");
    private static TornadoDevice device;
    private static WorkGroups workGroups;
    private static int graphs;

    private TornadoTestSupport() {
    }

    /**
     * Skips the test in a JVM without TornadoVM (the plain surefire run); fails it where TornadoVM is
     * required (the tornado-tests run), so that missing flags cannot pass as skipped tests.
     */
    static void requireTornado() {
        boolean loaded = System.getProperty("tornado.load.api.implementation") != null;
        if (Boolean.getBoolean("gale.tornado.required")) {
            assertNotNull(System.getProperty("tornado.load.api.implementation"),
                    "the tornado-tests JVM lacks TornadoVM's flags");
        }
        assumeTrue(loaded, "TornadoVM is not loaded in this JVM; the tornado-tests surefire execution runs this");
    }

    static synchronized TornadoDevice device() {
        requireTornado();
        if (device == null) {
            device = TornadoDevices.select(BACKEND, null);
        }
        return device;
    }

    /** The work-group sizes Gale uses on the test device. */
    static synchronized WorkGroups workGroups() {
        if (workGroups == null) {
            TornadoDevice d = device();
            workGroups = WorkGroups.forDevice(WorkGroups.load(), String.valueOf(d.getDeviceType()),
                    TornadoDevices.maxWorkGroup(d), d.getPhysicalDevice().getDeviceName(), d.getPlatformName());
        }
        return workGroups;
    }

    /**
     * Runs one kernel once: {@code inputs} are copied to the device, the task is added by
     * {@code task} (given the graph and a KernelContext), {@code outputs} are copied back. The grid is
     * {@code global} work-items in groups of {@code local}.
     */
    static void run(BiConsumer<TaskGraph, KernelContext> task, int global, int local, Object[] inputs,
                    Object... outputs) {
        TornadoDevice d = device();
        String name;
        synchronized (TornadoTestSupport.class) {
            name = "test" + graphs++;
        }
        KernelContext ctx = new KernelContext();
        TaskGraph g = new TaskGraph(name).transferToDevice(DataTransferMode.EVERY_EXECUTION, inputs);
        task.accept(g, ctx);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, outputs);
        WorkerGrid1D grid = new WorkerGrid1D(roundUp(global, local));
        grid.setLocalWork(local, 1, 1);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            plan.withDevice(d).withGridScheduler(new GridScheduler(name + ".t", grid)).execute();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(e);
        }
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /** A step array: position, tokens, current layer, first row. */
    static IntArray step(int pos, int n, int layer, int row) {
        IntArray s = new IntArray(Step.SIZE);
        s.set(Step.POS, pos);
        s.set(Step.N, n);
        s.set(Step.LAYER, layer);
        s.set(Step.ROW, row);
        return s;
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }

    static FloatArray array(float[] v) {
        return FloatArray.fromArray(v);
    }

    static FloatArray array(float[] v, int size) {
        FloatArray a = new FloatArray(size);
        for (int i = 0; i < v.length; i++) {
            a.set(i, v[i]);
        }
        return a;
    }

    static float[] slice(FloatArray a, int from, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = a.get(from + i);
        }
        return out;
    }
}
