package dev.gale.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Instruction set extensions of this machine that the Vector API does not report but some kernels
 * depend on for speed: a kernel whose vector operations the JIT cannot map to one instruction runs
 * them as plain Java (correct, but far slower). Read once from {@code /proc/cpuinfo} (Linux); on
 * other systems nothing is reported and the kernels that need an extension are not used.
 */
final class CpuFeatures {
    /** Byte permutes across a 512-bit vector (vpermb, vpermi2b). */
    static final boolean AVX512_VBMI = has("avx512vbmi");
    /** 16-bit lanes in 512-bit vectors (vpmullw, vpermi2w on zmm). */
    static final boolean AVX512_BW = has("avx512bw");

    private static Set<String> flags;

    private CpuFeatures() {
    }

    /**
     * Whether the CPU flag is listed. The system property {@code gale.cpu.disable} (comma-separated
     * flags) hides flags, to try the fallback kernels on a machine that has them.
     */
    static synchronized boolean has(String flag) {
        String disabled = System.getProperty("gale.cpu.disable", "");
        for (String d : disabled.split(",")) {
            if (d.trim().equals(flag)) {
                return false;
            }
        }
        if (flags == null) {
            flags = read();
        }
        return flags.contains(flag);
    }

    private static Set<String> read() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    int colon = line.indexOf(':');
                    return Set.of(line.substring(colon + 1).trim().split("\\s+"));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: report nothing
        }
        return Set.of();
    }
}
