package dev.gale.backend;

import dev.gale.backend.cpu.CpuBackend;
import dev.gale.backend.reference.ReferenceBackend;
import dev.gale.model.Model;
import dev.gale.model.ModelConfig;

import java.lang.reflect.InvocationTargetException;
import java.util.List;

/** Creates backends by name. TornadoVM backends are loaded only when asked for. */
public final class Backends {
    public static final List<String> NAMES = List.of("cpu", "opencl", "ptx", "spirv", "reference");
    public static final List<String> TORNADO = List.of("opencl", "ptx", "spirv");
    static final String TORNADO_FACTORY = "dev.gale.backend.tornado.TornadoBackends";
    static final String TORNADO_API = "uk.ac.manchester.tornado.api.TaskGraph";

    private Backends() {
    }

    public static boolean isTornado(String name) {
        return TORNADO.contains(name);
    }

    /**
     * Whether the CPU backend quantizes activations to 8 bits for decode (as llama.cpp does): on
     * unless the system property {@code gale.cpu.activations} is {@code f32}
     * ({@code GALE_JAVA_OPTS=-Dgale.cpu.activations=f32 ./gale ...}).
     */
    public static boolean quantizedActivations() {
        String v = System.getProperty("gale.cpu.activations", "q8");
        return switch (v) {
            case "q8" -> true;
            case "f32" -> false;
            default -> throw new IllegalArgumentException("gale.cpu.activations must be q8 or f32, found '" + v + "'");
        };
    }

    public static Backend create(Model model, BackendOptions o) {
        ModelConfig c = o.apply(model.config());
        int ctx = o.resolvedContextSize(c);
        int chunk = o.resolvedChunkSize(c);
        return switch (o.backend()) {
            case "cpu" -> {
                CpuBackend b = new CpuBackend(c, model.weights(), ctx, chunk, o.resolvedThreads(), quantizedActivations(),
                        model.file().path());
                if (!"false".equals(System.getProperty("gale.cpu.warmup"))) {
                    b.warmUp();
                }
                yield b;
            }
            case "reference" -> new ReferenceBackend(c, model.weights(), ctx);
            case "opencl", "ptx", "spirv" -> tornado(model, c, o, ctx, chunk);
            default -> throw new IllegalArgumentException("unknown backend '" + o.backend() + "'; choose one of "
                    + NAMES);
        };
    }

    /** The TornadoVM factory class, or an error saying how to get TornadoVM (or its JVM flags). */
    public static Class<?> tornadoFactory() {
        ClassLoader loader = Backends.class.getClassLoader();
        try {
            Class.forName(TORNADO_FACTORY, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            boolean sdk = System.getProperty("tornado.load.api.implementation") != null; // the launcher found one
            throw new BackendUnavailableException("this Gale was built without TornadoVM, so the opencl, ptx and "
                    + "spirv backends are unavailable. " + (sdk ? "Run ./setup.sh again: it finds the TornadoVM SDK "
                    + "and builds them." : "Install the TornadoVM SDK at /opt/tornadovm (or set TORNADOVM_HOME) as "
                    + "the README's 'GPU backends' section explains, then run ./setup.sh again."));
        }
        try {
            Class.forName(TORNADO_API, false, loader);
            return Class.forName(TORNADO_FACTORY, true, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BackendUnavailableException("TornadoVM is not loaded in this JVM: run Gale through the ./gale "
                    + "launcher, which adds TornadoVM's JVM flags for --backend opencl, ptx or spirv (it needs the "
                    + "TornadoVM SDK at /opt/tornadovm or in TORNADOVM_HOME)");
        }
    }

    /**
     * The devices TornadoVM sees for one backend (null = every backend loaded in this JVM).
     *
     * @throws BackendUnavailableException when TornadoVM is missing or cannot start
     */
    @SuppressWarnings("unchecked")
    public static List<DeviceInfo> tornadoDevices(String backend) {
        try {
            return (List<DeviceInfo>) tornadoFactory().getMethod("devices", String.class).invoke(null, backend);
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Backend tornado(Model model, ModelConfig c, BackendOptions o, int ctx, int chunk) {
        Class<?> factory = tornadoFactory();
        try {
            return (Backend) factory.getMethod("create", Model.class, ModelConfig.class, BackendOptions.class,
                    int.class, int.class).invoke(null, model, c, o, ctx, chunk);
        } catch (InvocationTargetException e) {
            throw unwrap(e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RuntimeException unwrap(InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException re) {
            return re;
        }
        if (e.getCause() instanceof Error err) {
            return new BackendUnavailableException("TornadoVM failed: " + err);
        }
        return new IllegalStateException(e.getCause());
    }
}
