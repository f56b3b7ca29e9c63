package dev.gale.backend.tornado;

/**
 * The layout of the small {@code IntArray} that tells the kernels what to work on. TornadoVM bakes
 * scalar kernel arguments into the compiled code, so everything that changes from call to call
 * (the position, the chunk length, the layer being run) travels in this array instead: the host
 * writes it once per forward pass, and the layer counter is advanced on the device after each layer.
 */
final class Step {
    /** Position of the chunk's first token. */
    static final int POS = 0;
    /** Tokens in the chunk (1 when decoding). */
    static final int N = 1;
    /** The layer now running; 0 at the start of a pass, advanced by {@link TornadoLayerCounter}. */
    static final int LAYER = 2;
    /** First activation row read by {@link TornadoRmsNorm} (0 in the layers; the chosen row in the logits head). */
    static final int ROW = 3;
    static final int SIZE = 4;

    private Step() {
    }
}
