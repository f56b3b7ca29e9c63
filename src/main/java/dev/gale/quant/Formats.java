package dev.gale.quant;

import dev.gale.gguf.GGMLType;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/** The tensor types Gale can compute with, and their scalar definitions. */
public final class Formats {
    private static final Map<GGMLType, BlockFormat> FORMATS = new EnumMap<>(GGMLType.class);

    static {
        for (BlockFormat f : new BlockFormat[] {new F32(), new F16(), new BF16(), new Q8_0(), new Q4_0(),
                new Q4_K(), new Q5_K(), new Q6_K()}) {
            FORMATS.put(f.type(), f);
        }
    }

    private Formats() {
    }

    /** The types Gale supports for weights. */
    public static Set<GGMLType> supported() {
        return FORMATS.keySet();
    }

    public static boolean isSupported(GGMLType type) {
        return FORMATS.containsKey(type);
    }

    /**
     * The scalar format of {@code type}.
     *
     * @throws UnsupportedTypeException if Gale cannot compute with this type
     */
    public static BlockFormat of(GGMLType type, String tensorName) {
        BlockFormat f = FORMATS.get(type);
        if (f == null) {
            throw new UnsupportedTypeException(type, tensorName);
        }
        return f;
    }

    public static BlockFormat of(GGMLType type) {
        return of(type, null);
    }
}
