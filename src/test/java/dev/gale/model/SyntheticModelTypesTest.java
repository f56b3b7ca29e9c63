package dev.gale.model;

import dev.gale.gguf.GGMLType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which types a synthetic model's tensors get, and shapes that cannot hold them. */
class SyntheticModelTypesTest {

    @Test
    void kQuantsNeedRowsOfWholeBlocks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModel.tiny(GGMLType.Q4_K).writer());
        assertTrue(e.getMessage().contains("Q4_K") && e.getMessage().contains("256")
                && e.getMessage().contains("dim 96"), e.getMessage());
        SyntheticModel.tinyK(GGMLType.Q6_K).validate();
        SyntheticModel.mistral7B(GGMLType.Q5_K).validate();
    }

    @Test
    void mixGivesSensitiveMatricesAndOutputMoreBits() {
        SyntheticModel m = SyntheticModel.tinyK(GGMLType.Q8_0).withMix(GGMLType.Q4_K, GGMLType.Q6_K);
        assertEquals(GGMLType.Q4_K, m.type());
        assertEquals(GGMLType.Q6_K, m.sensitiveType());
        assertEquals(GGMLType.Q6_K, m.outputType());
        SyntheticModel tied = SyntheticModel.tinyK(GGMLType.Q8_0).withOutputType(null)
                .withMix(GGMLType.Q5_K, GGMLType.Q6_K);
        assertNull(tied.outputType());
        assertEquals(GGMLType.Q6_K, tied.withLayers(3).withSeed(9).sensitiveType());
    }
}
