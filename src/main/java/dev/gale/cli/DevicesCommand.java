package dev.gale.cli;

import dev.gale.backend.Backends;
import dev.gale.backend.DeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code gale devices}: what TornadoVM sees, numbered as {@code --device} takes them. TornadoVM is
 * reached through {@link Backends} only, so this command exists in the CPU-only build too (and
 * says there how to get TornadoVM).
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the devices of the TornadoVM backends (opencl, ptx, spirv), numbered for --device.")
final class DevicesCommand implements Callable<Integer> {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "opencl, ptx or spirv (default: each backend the TornadoVM SDK has)")
    String backend;

    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() {
        if (backend != null && !Backends.isTornado(backend)) {
            throw new IllegalArgumentException("--backend " + backend + ": devices are listed for the TornadoVM "
                    + "backends " + Backends.TORNADO + " (the cpu backend runs on this machine's cores)");
        }
        List<DeviceInfo> devices = Backends.tornadoDevices(backend);
        List<String> backends = backend != null ? List.of(backend)
                : devices.stream().map(DeviceInfo::backend).distinct().toList();
        for (String b : backends) {
            List<DeviceInfo> mine = devices.stream().filter(d -> d.backend().equals(b)).toList();
            System.out.printf("%s: %d device%s%n", b, mine.size(), mine.size() == 1 ? "" : "s");
            for (DeviceInfo d : mine) {
                System.out.printf(Locale.ROOT, "  --device %d  %-4s %s memory, %s max buffer, %d KB local  %s [%s, %s]%n",
                        d.index(), d.type(), gb(d.memory()), gb(d.maxBuffer()), d.localMemory() >> 10, d.name(),
                        d.platform(), d.tornadoId());
            }
        }
        return devices.isEmpty() ? 1 : 0;
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }
}
