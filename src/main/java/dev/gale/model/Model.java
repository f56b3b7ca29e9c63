package dev.gale.model;

import dev.gale.gguf.GGMLType;
import dev.gale.gguf.GGUFException;
import dev.gale.gguf.GGUFFile;
import dev.gale.gguf.GGUFTensorInfo;
import dev.gale.quant.Formats;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A loaded model: its GGUF file (mapped, never copied), config, vocabulary and weight tensors.
 * Closing it unmaps the file; backends that keep views of the weights must be closed first.
 */
public final class Model implements AutoCloseable {
    private final GGUFFile file;
    private final ModelConfig config;
    private final Vocabulary vocabulary;
    private final Weights weights;

    private Model(GGUFFile file, ModelConfig config, Vocabulary vocabulary, Weights weights) {
        this.file = file;
        this.config = config;
        this.vocabulary = vocabulary;
        this.weights = weights;
    }

    /** Opens and checks a model: every tensor present, shaped as the config says, of a supported type. */
    public static Model load(Path path) throws IOException {
        GGUFFile f = GGUFFile.open(path);
        try {
            Vocabulary vocab = Vocabulary.from(f);
            ModelConfig config;
            try {
                config = ModelConfig.from(f, vocab.size());
            } catch (IllegalArgumentException e) {
                throw new GGUFException(path, "model hyper-parameters", 0, e.getMessage());
            }
            Weights weights = weights(f, config);
            return new Model(f, config, vocab, weights);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private static Weights weights(GGUFFile f, ModelConfig c) throws GGUFException {
        int dim = c.embeddingLength();
        Tensor embed = tensor(f, "token_embd.weight", c.vocabSize(), dim);
        Weights.Layer[] layers = new Weights.Layer[c.blockCount()];
        for (int i = 0; i < layers.length; i++) {
            String b = "blk." + i + ".";
            layers[i] = new Weights.Layer(
                    tensor(f, b + "attn_norm.weight", 1, dim),
                    tensor(f, b + "attn_q.weight", c.qDim(), dim),
                    tensor(f, b + "attn_k.weight", c.kvDim(), dim),
                    tensor(f, b + "attn_v.weight", c.kvDim(), dim),
                    tensor(f, b + "attn_output.weight", dim, c.qDim()),
                    tensor(f, b + "ffn_norm.weight", 1, dim),
                    tensor(f, b + "ffn_gate.weight", c.feedForwardLength(), dim),
                    tensor(f, b + "ffn_down.weight", dim, c.feedForwardLength()),
                    tensor(f, b + "ffn_up.weight", c.feedForwardLength(), dim));
        }
        Tensor norm = tensor(f, "output_norm.weight", 1, dim);
        Tensor output = f.tensor("output.weight") != null ? tensor(f, "output.weight", c.vocabSize(), dim) : embed;
        return new Weights(embed, layers, norm, output);
    }

    private static Tensor tensor(GGUFFile f, String name, int rows, int cols) throws GGUFException {
        GGUFTensorInfo t = f.tensor(name);
        if (t == null) {
            throw new GGUFException(f.path(), "tensor '" + name + "'", 0, "required tensor is missing");
        }
        long[] dims = t.dims();
        boolean vector = rows == 1;
        boolean ok = vector ? t.elementCount() == cols && dims[0] == cols
                : dims.length == 2 && dims[0] == cols && dims[1] == rows;
        if (!ok) {
            throw new GGUFException(f.path(), "tensor '" + name + "' dims", t.infoOffset(), "shape "
                    + java.util.Arrays.toString(dims) + " does not match the model config (expected "
                    + (vector ? "[" + cols + "]" : "[" + cols + ", " + rows + "]") + ")");
        }
        if (vector && t.type() != GGMLType.F32) {
            throw new GGUFException(f.path(), "tensor '" + name + "' type", t.infoOffset(), "norm weights must be F32, found "
                    + t.type());
        }
        if (!Formats.isSupported(t.type())) {
            Formats.of(t.type(), name); // throws UnsupportedTypeException naming type and tensor
        }
        return new Tensor(name, t.type(), rows, cols, f.tensorData(t));
    }

    public ModelConfig config() {
        return config;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    public Weights weights() {
        return weights;
    }

    public GGUFFile file() {
        return file;
    }

    @Override
    public void close() {
        file.close();
    }
}
