package dev.gale.gguf;

import java.lang.reflect.Array;

/**
 * A GGUF metadata array. {@code values} is a Java array matching the element type:
 * byte[] (UINT8, INT8), short[] (UINT16, INT16), int[] (UINT32, INT32), long[] (UINT64, INT64),
 * float[] (FLOAT32), double[] (FLOAT64), boolean[] (BOOL), String[] (STRING) or GGUFArray[] (ARRAY).
 */
public record GGUFArray(GGUFValueType elementType, Object values) {

    public GGUFArray {
        Class<?> expected = switch (elementType) {
            case UINT8, INT8 -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GGUFArray[].class;
        };
        if (!expected.isInstance(values)) {
            throw new IllegalArgumentException(elementType + " array needs a " + expected.getSimpleName());
        }
    }

    public int length() {
        return Array.getLength(values);
    }

    public String[] strings() {
        return (String[]) values;
    }

    public float[] floats() {
        return (float[]) values;
    }

    /** Integer elements of any integer type, widened to int (unsigned types zero-extended). */
    public int[] ints() {
        int n = length();
        int[] out = new int[n];
        switch (elementType) {
            case UINT8 -> { byte[] a = (byte[]) values; for (int i = 0; i < n; i++) out[i] = a[i] & 0xFF; }
            case INT8 -> { byte[] a = (byte[]) values; for (int i = 0; i < n; i++) out[i] = a[i]; }
            case UINT16 -> { short[] a = (short[]) values; for (int i = 0; i < n; i++) out[i] = a[i] & 0xFFFF; }
            case INT16 -> { short[] a = (short[]) values; for (int i = 0; i < n; i++) out[i] = a[i]; }
            case UINT32, INT32 -> System.arraycopy(values, 0, out, 0, n);
            case UINT64, INT64 -> { long[] a = (long[]) values; for (int i = 0; i < n; i++) out[i] = Math.toIntExact(a[i]); }
            default -> throw new IllegalStateException(elementType + " array is not an integer array");
        }
        return out;
    }

    @Override
    public String toString() {
        return "[" + elementType + " x " + length() + "]";
    }
}
