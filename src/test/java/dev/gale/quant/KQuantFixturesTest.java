package dev.gale.quant;

import dev.gale.gguf.GGMLType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Gale's dequantization against the gguf Python package's (numpy) on random blocks written by
 * src/test/resources/kquant/make_fixtures.py. Both evaluate ggml's expressions in ggml's order
 * ({@code (d * sc) * q - dmin * m}; Q6_K {@code (d * sc) * q}) in float32, so the values must be
 * identical to the bit.
 */
class KQuantFixturesTest {

    @ParameterizedTest
    @EnumSource(value = GGMLType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void dequantizesExactlyAsGgufPy(GGMLType type) throws IOException {
        String name = "/kquant/" + type.name().toLowerCase();
        byte[] blocks = resource(name + ".blocks");
        ByteBuffer expected = ByteBuffer.wrap(resource(name + ".f32")).order(ByteOrder.LITTLE_ENDIAN);
        int n = blocks.length / type.typeSize * type.blockSize;
        assertEquals(blocks.length, type.byteSize(n));
        assertEquals(4 * n, expected.capacity());
        float[] actual = Formats.of(type).dequantize(MemorySegment.ofArray(blocks));
        for (int i = 0; i < n; i++) {
            float e = expected.getFloat(4 * i);
            if (Float.floatToRawIntBits(e) != Float.floatToRawIntBits(actual[i])) {
                fail(type + " element " + i + " (block " + i / 256 + "): gguf-py " + e + ", Gale " + actual[i]);
            }
        }
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = KQuantFixturesTest.class.getResourceAsStream(path)) {
            assertNotNull(in, path);
            return in.readAllBytes();
        }
    }
}
