package dev.gale.backend.tornado;

import dev.gale.backend.BackendUnavailableException;
import dev.gale.backend.DeviceInfo;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Finds TornadoVM's backends and devices by Gale's names for them (opencl, ptx, spirv). */
final class TornadoDevices {
    private static final Map<String, TornadoVMBackendType> TYPES = Map.of("opencl", TornadoVMBackendType.OPENCL,
            "ptx", TornadoVMBackendType.PTX, "spirv", TornadoVMBackendType.SPIRV);

    /** What each backend needs from the machine, for error messages. */
    private static final Map<String, String> NEEDS = Map.of(
            "opencl", "The opencl backend needs an OpenCL driver: the GPU vendor's, or PoCL for the CPU "
                    + "(apt-get install pocl-opencl-icd)",
            "ptx", "The ptx backend needs an NVIDIA GPU and its driver (libcuda.so.1)",
            "spirv", "The spirv backend needs Intel's Level Zero GPU driver (or -Dtornado.spirv.runtimes=opencl "
                    + "and an OpenCL driver that accepts SPIR-V)");

    private TornadoDevices() {
    }

    /** TornadoVM's runtime; failures to start (a missing driver, say) become a clear error. */
    static TornadoRuntime runtime(String backend) {
        requireFlags(backend);
        try {
            return TornadoRuntimeProvider.getTornadoRuntime();
        } catch (Throwable e) { // ExceptionInInitializerError, UnsatisfiedLinkError, TornadoRuntimeException ...
            throw new BackendUnavailableException("TornadoVM could not start" + (backend == null ? "" : " the "
                    + backend + " backend") + ": " + rootMessage(e) + ". " + NEEDS.getOrDefault(backend,
                    "Each backend needs its driver") + " (README, 'GPU backends').");
        }
    }

    /** Stops early, with advice, when the JVM lacks TornadoVM's flags (it would fail obscurely later). */
    static void requireFlags(String backend) {
        if (System.getProperty("tornado.load.api.implementation") == null) {
            String b = backend == null ? "opencl" : backend;
            throw new BackendUnavailableException("TornadoVM's JVM flags are missing: run Gale through the ./gale "
                    + "launcher, which adds them for --backend " + b + " (or pass @target/tornado-" + b
                    + ".argfile to java yourself, with TORNADOVM_HOME set)");
        }
    }

    /** The device {@code index} (null = the first) of the named backend. */
    static TornadoDevice select(String backend, Integer index) {
        TornadoBackend b = backend(runtime(backend), backend);
        int n = b.getNumDevices();
        int i = index == null ? 0 : index;
        if (n == 0) {
            throw new BackendUnavailableException("the " + backend + " backend found no device");
        }
        if (i < 0 || i >= n) {
            StringBuilder s = new StringBuilder();
            for (int d = 0; d < n; d++) {
                s.append(d == 0 ? "" : ", ").append(d).append(" = ").append(b.getDevice(d).getPhysicalDevice()
                        .getDeviceName());
            }
            throw new BackendUnavailableException("--device " + i + " does not exist: the " + backend + " backend has "
                    + n + " device" + (n == 1 ? "" : "s") + " (" + s + "); see 'gale devices'");
        }
        return b.getDevice(i);
    }

    private static TornadoBackend backend(TornadoRuntime rt, String backend) {
        TornadoVMBackendType type = TYPES.get(backend);
        if (type == null) {
            throw new IllegalArgumentException("'" + backend + "' is not a TornadoVM backend; choose one of "
                    + TYPES.keySet());
        }
        List<String> loaded = new ArrayList<>();
        for (int i = 0; i < rt.getNumBackends(); i++) {
            TornadoBackend b = rt.getBackend(i);
            if (b.getBackendType() == type) {
                return b;
            }
            loaded.add(b.getBackendType().name().toLowerCase(Locale.ROOT));
        }
        throw new BackendUnavailableException("TornadoVM in this JVM has no " + backend + " backend (it has "
                + loaded + "); run Gale through ./gale --backend " + backend + ", which loads that backend's driver");
    }

    /** Every device of the named backend, or of every loaded backend when {@code backend} is null. */
    static List<DeviceInfo> list(String backend) {
        TornadoRuntime rt = runtime(backend);
        List<TornadoBackend> backends = new ArrayList<>();
        if (backend != null) {
            backends.add(backend(rt, backend));
        } else {
            for (int i = 0; i < rt.getNumBackends(); i++) {
                backends.add(rt.getBackend(i));
            }
        }
        List<DeviceInfo> out = new ArrayList<>();
        for (TornadoBackend b : backends) {
            String name = b.getBackendType().name().toLowerCase(Locale.ROOT);
            for (int d = 0; d < b.getNumDevices(); d++) {
                TornadoDevice dev = b.getDevice(d);
                out.add(new DeviceInfo(name, d, dev.getPhysicalDevice().getDeviceName().trim(), dev.getDeviceName(),
                        dev.getPlatformName().trim(), String.valueOf(dev.getDeviceType()), dev.getMaxGlobalMemory(),
                        dev.getMaxAllocMemory(), dev.getDeviceLocalMemorySize()));
            }
        }
        return out;
    }

    /** The device's largest work-group, 0 if it does not say. */
    static long maxWorkGroup(TornadoDevice d) {
        try {
            long[] m = d.getPhysicalDevice().getDeviceMaxWorkGroupSize();
            return m == null || m.length == 0 ? 0 : m[0];
        } catch (RuntimeException e) {
            return 0;
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return (m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip().lines().findFirst().orElse(m))
                .replaceAll("\u001B\\[[0-9;]*m", "");
    }
}
