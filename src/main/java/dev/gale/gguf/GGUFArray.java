package dev.gale.gguf;

import java.lang.reflect.Array;
import java.util.Arrays;

/**
 * A GGUF metadata array. {@code values} is a Java array matching the element type:
 * byte[] (UINT8, INT8), short[] (UINT16, INT16), int[] (UINT32, INT32), long[] (UINT64, INT64),
 * float[] (FLOAT32), double[] (FLOAT64), boolean[] (BOOL), String[] (STRING) or GGUFArray[] (ARRAY).
 * Unsigned elements keep their raw bits. Two arrays are equal when their element types and
 * elements are (floats compared as by {@link Float#equals}).
 */
public record GGUFArray(GGUFValueType elementType, Object values) {

    public GGUFArray {
        if (elementType == null || values == null) {
            throw new IllegalArgumentException("a GGUF array needs an element type and values");
        }
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
        if (values instanceof Object[] objects) {
            for (Object o : objects) {
                if (o == null) {
                    throw new IllegalArgumentException(elementType + " array has a null element");
                }
            }
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

    public GGUFArray[] arrays() {
        return (GGUFArray[]) values;
    }

    /**
     * Integer elements of any integer type as ints (unsigned types zero-extended).
     *
     * @throws ArithmeticException if an element does not fit in an int
     */
    public int[] ints() {
        int n = length();
        int[] out = new int[n];
        switch (elementType) {
            case UINT8 -> { byte[] a = (byte[]) values; for (int i = 0; i < n; i++) out[i] = a[i] & 0xFF; }
            case INT8 -> { byte[] a = (byte[]) values; for (int i = 0; i < n; i++) out[i] = a[i]; }
            case UINT16 -> { short[] a = (short[]) values; for (int i = 0; i < n; i++) out[i] = a[i] & 0xFFFF; }
            case INT16 -> { short[] a = (short[]) values; for (int i = 0; i < n; i++) out[i] = a[i]; }
            case INT32 -> System.arraycopy(values, 0, out, 0, n);
            case UINT32 -> {
                int[] a = (int[]) values;
                for (int i = 0; i < n; i++) {
                    if (a[i] < 0) {
                        throw new ArithmeticException("element " + i + " = " + Integer.toUnsignedString(a[i])
                                + " does not fit in an int");
                    }
                    out[i] = a[i];
                }
            }
            case UINT64, INT64 -> {
                long[] a = (long[]) values;
                boolean unsigned = elementType == GGUFValueType.UINT64;
                for (int i = 0; i < n; i++) {
                    if (a[i] != (int) a[i] || (unsigned && a[i] < 0)) {
                        throw new ArithmeticException("element " + i + " = "
                                + (unsigned ? Long.toUnsignedString(a[i]) : a[i]) + " does not fit in an int");
                    }
                    out[i] = (int) a[i];
                }
            }
            default -> throw new IllegalStateException(elementType + " array is not an integer array");
        }
        return out;
    }

    /** Element {@code i} as text; unsigned elements as their unsigned value. */
    public String elementString(int i) {
        return switch (elementType) {
            case UINT8 -> Integer.toString(((byte[]) values)[i] & 0xFF);
            case UINT16 -> Integer.toString(((short[]) values)[i] & 0xFFFF);
            case UINT32 -> Integer.toUnsignedString(((int[]) values)[i]);
            case UINT64 -> Long.toUnsignedString(((long[]) values)[i]);
            default -> String.valueOf(Array.get(values, i));
        };
    }

    /** The first {@code max} elements as text, like "[1, 2, 3, ...]". */
    public String preview(int max) {
        StringBuilder b = new StringBuilder("[");
        int n = length();
        for (int i = 0; i < Math.min(n, max); i++) {
            b.append(i > 0 ? ", " : "").append(elementString(i));
        }
        return b.append(n > max ? ", ...]" : "]").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GGUFArray a && a.elementType == elementType
                && Arrays.deepEquals(new Object[] {values}, new Object[] {a.values});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values});
    }

    @Override
    public String toString() {
        return "[" + elementType + " x " + length() + "]";
    }
}
