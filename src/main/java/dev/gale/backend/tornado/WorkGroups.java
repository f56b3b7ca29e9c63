package dev.gale.backend.tornado;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * Work-group sizes of the kernels for one device, from {@code tornado-config/workgroups.properties}
 * (the file named by {@code -Dgale.tornado.workgroups}, else the copy packaged in Gale's jar).
 *
 * @param matvec      work-items per weight row in the matrix-vector kernels
 * @param rmsnorm     work-items per token in RMSNorm
 * @param attention   work-items per (token, head) in attention, also keys scored per tile
 * @param elementwise work-group size of the one-item-per-element kernels
 */
record WorkGroups(int matvec, int rmsnorm, int attention, int elementwise) {
    /** Largest work-group size: the kernels' local arrays are this long (a compile-time constant). */
    static final int MAX_LOCAL = 256;
    static final String PROPERTY = "gale.tornado.workgroups";
    private static final String RESOURCE = "workgroups.properties";

    WorkGroups {
        for (int v : new int[] {matvec, rmsnorm, attention, elementwise}) {
            if (v < 1 || v > MAX_LOCAL || Integer.bitCount(v) != 1) {
                throw new IllegalArgumentException("work-group size " + v + " must be a power of two from 1 to "
                        + MAX_LOCAL);
            }
        }
    }

    /**
     * The sizes for a device, each lowered to {@code maxWorkGroup} (0 = unknown).
     *
     * @param names the device's name and its platform's name, matched against {@code device.<text>.} keys
     * @param type  the device type, e.g. "GPU" or "CPU"
     */
    static WorkGroups forDevice(Properties p, String type, long maxWorkGroup, String... names) {
        return new WorkGroups(size(p, "matvec", type, maxWorkGroup, names),
                size(p, "rmsnorm", type, maxWorkGroup, names),
                size(p, "attention", type, maxWorkGroup, names),
                size(p, "elementwise", type, maxWorkGroup, names));
    }

    private static int size(Properties p, String kernel, String type, long maxWorkGroup, String... names) {
        String value = null;
        String key = null;
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith("device.") && k.endsWith("." + kernel)) {
                String text = k.substring("device.".length(), k.length() - kernel.length() - 1).toLowerCase(Locale.ROOT);
                for (String name : names) {
                    if (value == null && name != null && name.toLowerCase(Locale.ROOT).contains(text)) {
                        value = p.getProperty(k);
                        key = k;
                    }
                }
            }
        }
        for (String k : new String[] {"type." + type + "." + kernel, "default." + kernel}) {
            if (value == null && p.getProperty(k) != null) {
                value = p.getProperty(k);
                key = k;
            }
        }
        if (value == null) {
            throw new IllegalArgumentException("work-group sizes: no default." + kernel + " in " + source());
        }
        int v;
        try {
            v = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("work-group sizes: " + key + "=" + value + " in " + source()
                    + " is not a number");
        }
        if (v < 1 || v > MAX_LOCAL || Integer.bitCount(v) != 1) {
            throw new IllegalArgumentException("work-group sizes: " + key + "=" + v + " in " + source()
                    + " must be a power of two from 1 to " + MAX_LOCAL);
        }
        while (maxWorkGroup > 0 && v > maxWorkGroup) {
            v /= 2;
        }
        return v;
    }

    /** Where the sizes are read from. */
    static String source() {
        String file = System.getProperty(PROPERTY);
        return file != null ? file : "Gale's built-in tornado-config/" + RESOURCE;
    }

    static Properties load() {
        Properties p = new Properties();
        String file = System.getProperty(PROPERTY);
        try {
            if (file != null) {
                try (InputStream in = Files.newInputStream(Path.of(file))) {
                    p.load(in);
                }
            } else {
                try (InputStream in = WorkGroups.class.getResourceAsStream(RESOURCE)) {
                    if (in == null) {
                        throw new IllegalStateException("Gale's jar lacks " + RESOURCE + "; rebuild with ./setup.sh");
                    }
                    p.load(in);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the work-group sizes " + source() + ": " + e.getMessage(), e);
        }
        return p;
    }
}
