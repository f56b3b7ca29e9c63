package dev.gale.model;

/**
 * The weights of a Mistral/Llama transformer, named after their GGUF tensors.
 *
 * @param output the LM head; the token embedding when the model ties them (no {@code output.weight})
 */
public record Weights(Tensor tokenEmbedding, Layer[] layers, Tensor outputNorm, Tensor output) {

    /** One transformer block, {@code blk.<i>.*}. */
    public record Layer(
            Tensor attnNorm,
            Tensor attnQ,
            Tensor attnK,
            Tensor attnV,
            Tensor attnOutput,
            Tensor ffnNorm,
            Tensor ffnGate,
            Tensor ffnDown,
            Tensor ffnUp) {

        public Tensor[] all() {
            return new Tensor[] {attnNorm, attnQ, attnK, attnV, attnOutput, ffnNorm, ffnGate, ffnDown, ffnUp};
        }
    }

    public boolean tiedEmbeddings() {
        return output == tokenEmbedding;
    }
}
