package dev.gale.gguf;

/**
 * One metadata value as read from (or to be written to) a GGUF file.
 * Scalars are boxed: Integer for UINT8/INT8/UINT16/INT16/INT32, Long for UINT32/UINT64/INT64
 * (UINT64 keeps its raw bits), Float, Double, Boolean, String; arrays are {@link GGUFArray}.
 *
 * @param offset byte offset of the value in its file (-1 for values not read from a file)
 */
public record GGUFValue(GGUFValueType type, Object value, long offset) {

    public static GGUFValue of(GGUFValueType type, Object value) {
        return new GGUFValue(type, value, -1);
    }

    public static GGUFValue string(String s) {
        return of(GGUFValueType.STRING, s);
    }

    public static GGUFValue uint32(long v) {
        return of(GGUFValueType.UINT32, v);
    }

    public static GGUFValue int32(int v) {
        return of(GGUFValueType.INT32, v);
    }

    public static GGUFValue float32(float v) {
        return of(GGUFValueType.FLOAT32, v);
    }

    public static GGUFValue bool(boolean v) {
        return of(GGUFValueType.BOOL, v);
    }

    public static GGUFValue array(GGUFValueType elementType, Object values) {
        return of(GGUFValueType.ARRAY, new GGUFArray(elementType, values));
    }

    @Override
    public String toString() {
        return type == GGUFValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value);
    }
}
