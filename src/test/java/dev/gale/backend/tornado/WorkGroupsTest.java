package dev.gale.backend.tornado;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing work-group sizes from tornado-config/workgroups.properties: device name, type, default. */
class WorkGroupsTest {

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    private static final Properties P = props(
            "default.matvec", "128", "default.rmsnorm", "256", "default.attention", "128", "default.elementwise", "256",
            "type.CPU.matvec", "16", "type.CPU.attention", "32",
            "device.rtx 4090.matvec", "64");

    @Test
    void theDeviceNameWinsOverTheTypeWhichWinsOverTheDefault() {
        assertEquals(new WorkGroups(64, 256, 128, 256), WorkGroups.forDevice(P, "GPU", 0, "NVIDIA GeForce RTX 4090",
                "NVIDIA CUDA"));
        assertEquals(new WorkGroups(16, 256, 32, 256), WorkGroups.forDevice(P, "CPU", 0, "pthread-EPYC", "PoCL"));
        assertEquals(new WorkGroups(128, 256, 128, 256), WorkGroups.forDevice(P, "GPU", 0, "Radeon", "AMD"));
    }

    @Test
    void sizesAreLoweredToTheDevicesLargestWorkGroup() {
        assertEquals(new WorkGroups(64, 64, 64, 64), WorkGroups.forDevice(P, "GPU", 64, "Radeon", "AMD"));
    }

    @Test
    void badValuesAreRefusedWithTheirKey() {
        var e = assertThrows(IllegalArgumentException.class, () -> WorkGroups.forDevice(
                props("default.matvec", "100", "default.rmsnorm", "1", "default.attention", "1",
                        "default.elementwise", "1"), "GPU", 0, "x"));
        assertTrue(e.getMessage().contains("default.matvec=100") && e.getMessage().contains("power of two"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WorkGroups.forDevice(props("default.matvec", "8"),
                "GPU", 0, "x"));
        assertTrue(e.getMessage().contains("no default.rmsnorm"), e.getMessage());
    }

    @Test
    void theShippedFileCoversEveryKernel() {
        WorkGroups g = WorkGroups.forDevice(WorkGroups.load(), "ACCELERATOR", 0, "some device");
        assertEquals(new WorkGroups(128, 256, 128, 256), g);
    }
}
