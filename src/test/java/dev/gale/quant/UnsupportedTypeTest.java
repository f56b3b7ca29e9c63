package dev.gale.quant;

import dev.gale.gguf.GGMLType;
import dev.gale.gguf.GGUFWriter;
import dev.gale.model.Model;
import dev.gale.model.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tensor of a type Gale cannot compute with gives an UnsupportedTypeException naming the type and the tensor. */
class UnsupportedTypeTest {
    @TempDir
    Path dir;

    @Test
    void supportedTypes() {
        assertEquals(EnumSet.of(GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0,
                GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K), Formats.supported());
        for (GGMLType t : Formats.supported()) {
            assertSame(t, Formats.of(t).type());
        }
    }

    @Test
    void formatsOfAnUnsupportedType() {
        UnsupportedTypeException e = assertThrows(UnsupportedTypeException.class,
                () -> Formats.of(GGMLType.Q3_K, "output.weight"));
        assertSame(GGMLType.Q3_K, e.type());
        assertEquals("tensor type Q3_K of tensor 'output.weight' is not supported; Gale supports "
                + Formats.supported(), e.getMessage());
    }

    @Test
    void loadingAModelWithAQ5_1AttentionWeight() throws IOException {
        SyntheticModel spec = SyntheticModel.tiny(GGMLType.Q8_0);
        int dim = spec.dim();
        byte[] q5 = new byte[(int) GGMLType.Q5_1.byteSize((long) dim * dim)];
        new SplittableRandom(1).nextBytes(q5);
        GGUFWriter w = spec.writer().removeTensor("blk.0.attn_q.weight")
                .addTensor("blk.0.attn_q.weight", GGMLType.Q5_1, new long[] {dim, dim}, q5);
        Path p = dir.resolve("q5_1.gguf");
        w.write(p);

        UnsupportedTypeException e = assertThrows(UnsupportedTypeException.class, () -> Model.load(p));
        assertSame(GGMLType.Q5_1, e.type());
        assertTrue(e.getMessage().contains("Q5_1"), e.getMessage());
        assertTrue(e.getMessage().contains("blk.0.attn_q.weight"), e.getMessage());
    }

    @Test
    void theSameModelWithoutTheChangeLoads() throws IOException {
        Path p = dir.resolve("q8_0.gguf");
        SyntheticModel.tiny(GGMLType.Q8_0).write(p);
        try (Model m = Model.load(p)) {
            assertEquals(GGMLType.Q8_0, m.weights().layers()[0].attnQ().type());
        }
    }
}
