package dev.gale.gguf;

/**
 * One metadata value as read from (or to be written to) a GGUF file.
 *
 * <p>Scalars are boxed: Integer for UINT8/INT8/UINT16/INT16/INT32 (unsigned types zero-extended),
 * Long for UINT32 (zero-extended) and for UINT64/INT64 (UINT64 keeps its raw bits: values above
 * {@link Long#MAX_VALUE} are negative), Float, Double, Boolean, String; arrays are
 * {@link GGUFArray}. The constructor checks that the value has the Java class and range of its type,
 * so that a writer never truncates a value silently.
 *
 * @param offset byte offset of the value in its file (-1 for values not read from a file)
 */
public record GGUFValue(GGUFValueType type, Object value, long offset) {

    public GGUFValue {
        if (type == null || value == null) {
            throw new IllegalArgumentException("a GGUF value needs a type and a value");
        }
        Class<?> expected = switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> Integer.class;
            case UINT32, UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GGUFArray.class;
        };
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + expected.getSimpleName() + ", found "
                    + value.getClass().getSimpleName());
        }
        long min = switch (type) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case UINT8, UINT16, UINT32 -> 0;
            default -> Long.MIN_VALUE;
        };
        long max = switch (type) {
            case UINT8 -> 0xFF;
            case INT8 -> Byte.MAX_VALUE;
            case UINT16 -> 0xFFFF;
            case INT16 -> Short.MAX_VALUE;
            case UINT32 -> 0xFFFF_FFFFL;
            default -> Long.MAX_VALUE;
        };
        if (value instanceof Integer || (value instanceof Long && type == GGUFValueType.UINT32)) {
            long v = ((Number) value).longValue();
            if (v < min || v > max) {
                throw new IllegalArgumentException(type + " value " + v + " is out of range [" + min + ", " + max + "]");
            }
        }
    }

    public static GGUFValue of(GGUFValueType type, Object value) {
        return new GGUFValue(type, value, -1);
    }

    public static GGUFValue string(String s) {
        return of(GGUFValueType.STRING, s);
    }

    public static GGUFValue uint8(int v) {
        return of(GGUFValueType.UINT8, v);
    }

    public static GGUFValue int8(int v) {
        return of(GGUFValueType.INT8, v);
    }

    public static GGUFValue uint16(int v) {
        return of(GGUFValueType.UINT16, v);
    }

    public static GGUFValue int16(int v) {
        return of(GGUFValueType.INT16, v);
    }

    public static GGUFValue uint32(long v) {
        return of(GGUFValueType.UINT32, v);
    }

    public static GGUFValue int32(int v) {
        return of(GGUFValueType.INT32, v);
    }

    /** A uint64 given by its raw bits ({@code -1L} is 2^64 - 1). */
    public static GGUFValue uint64(long bits) {
        return of(GGUFValueType.UINT64, bits);
    }

    public static GGUFValue int64(long v) {
        return of(GGUFValueType.INT64, v);
    }

    public static GGUFValue float32(float v) {
        return of(GGUFValueType.FLOAT32, v);
    }

    public static GGUFValue float64(double v) {
        return of(GGUFValueType.FLOAT64, v);
    }

    public static GGUFValue bool(boolean v) {
        return of(GGUFValueType.BOOL, v);
    }

    public static GGUFValue array(GGUFValueType elementType, Object values) {
        return of(GGUFValueType.ARRAY, new GGUFArray(elementType, values));
    }

    /** Same type and value, wherever it was read from ({@code offset} is ignored). */
    public boolean sameValue(GGUFValue other) {
        return other != null && type == other.type && value.equals(other.value);
    }

    @Override
    public String toString() {
        return switch (type) {
            case STRING -> '"' + (String) value + '"';
            case UINT64 -> Long.toUnsignedString((Long) value);
            default -> String.valueOf(value);
        };
    }
}
