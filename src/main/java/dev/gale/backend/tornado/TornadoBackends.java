package dev.gale.backend.tornado;

import dev.gale.backend.Backend;
import dev.gale.backend.BackendOptions;
import dev.gale.backend.CacheLayout;
import dev.gale.backend.DeviceInfo;
import dev.gale.model.Model;
import dev.gale.model.ModelConfig;
import dev.gale.model.Tensor;
import dev.gale.model.Weights;
import uk.ac.manchester.tornado.api.common.TornadoDevice;

import java.util.List;

/**
 * The entry points {@link dev.gale.backend.Backends} reaches by reflection (so that Gale builds and
 * runs without TornadoVM): create a backend, list devices.
 */
public final class TornadoBackends {
    /** System property: most layers per task graph (default: as many as fit; 1 = one graph per layer). */
    public static final String LAYERS_PER_GRAPH = "gale.tornado.layers-per-graph";

    private TornadoBackends() {
    }

    /**
     * A TornadoVM backend on the device {@code options.device()} (default 0) of the backend named
     * {@code options.backend()}. Kernels are compiled here, so the first forward pass runs at speed.
     */
    public static Backend create(Model model, ModelConfig config, BackendOptions options, int contextSize,
                                 int chunkSize) {
        String name = options.backend();
        TornadoDevices.requireFlags(name);
        reserveDeviceMemory(config, model.weights(), contextSize, chunkSize);
        TornadoDevice device = TornadoDevices.select(name, options.device());
        String type = String.valueOf(device.getDeviceType());
        WorkGroups wg = WorkGroups.forDevice(WorkGroups.load(), type, TornadoDevices.maxWorkGroup(device),
                device.getPhysicalDevice().getDeviceName(), device.getPlatformName());
        TornadoTransformer t = new TornadoTransformer(name, config, model.weights(), contextSize, chunkSize, device,
                wg, Integer.getInteger(LAYERS_PER_GRAPH, Integer.MAX_VALUE));
        try {
            t.warmUp();
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** Devices of the named backend (null = every backend this JVM loaded). */
    public static List<DeviceInfo> devices(String backend) {
        return TornadoDevices.list(backend);
    }

    /**
     * TornadoVM caps the device memory it uses at {@code tornado.device.memory} (4 GB by default),
     * read once when its runtime starts. Unless the user set it, raise it to what this model needs.
     */
    private static void reserveDeviceMemory(ModelConfig c, Weights w, int contextSize, int chunkSize) {
        if (System.getProperty("tornado.device.memory") != null) {
            return;
        }
        long bytes = CacheLayout.of(c.slidingWindow(), contextSize).bytes(c.blockCount(), c.kvDim(), Float.BYTES)
                + TornadoTransformer.activationBytes(c, chunkSize) + 16L * contextSize * c.ropeDimensionCount();
        for (Tensor t : new Tensor[] {w.tokenEmbedding(), w.output(), w.outputNorm()}) {
            bytes += t.data().byteSize();
        }
        for (Weights.Layer l : w.layers()) {
            for (Tensor t : l.all()) {
                bytes += t.data().byteSize();
            }
        }
        long gb = Math.max(4, (bytes + (1L << 30) - 1 >> 30) + 1);
        System.setProperty("tornado.device.memory", gb + "GB");
    }
}
