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
 * src/test/resources/kquant/make_fixtures.py. The values must agree to the bit, and not only
 * because both follow ggml's order ({@code (d * sc) * q - dmin * m}; Q6_K {@code (d * sc) * q}):
 * an F16 {@code d} has 11 significant bits, so {@code d * sc * q} and {@code dmin * m} are exact in
 * float32 for Q4_K and Q5_K (at most 11 + 6 + 5 bits) and only the subtraction rounds; for Q6_K
 * (11 + 8 + 6 bits) the product is rounded once however it is grouped. Each value is thus the
 * correctly rounded result of the exact expression, whatever the order or an FMA.
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
