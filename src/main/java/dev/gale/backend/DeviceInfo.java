package dev.gale.backend;

/**
 * A device a TornadoVM backend can run on, as {@code gale devices} lists it.
 *
 * @param backend      "opencl", "ptx" or "spirv"
 * @param index        the number to pass to {@code --device}
 * @param name         the device's own name (e.g. "NVIDIA GeForce RTX 4090")
 * @param tornadoId    TornadoVM's name for it (e.g. "opencl-0-0")
 * @param platform     the driver platform (e.g. "NVIDIA CUDA", "Portable Computing Language")
 * @param type         GPU, CPU, ACCELERATOR, FPGA ...
 * @param memory       global memory, bytes
 * @param maxBuffer    largest single allocation, bytes
 * @param localMemory  local (shared) memory per work-group, bytes
 */
public record DeviceInfo(String backend, int index, String name, String tornadoId, String platform, String type,
                         long memory, long maxBuffer, long localMemory) {
}
