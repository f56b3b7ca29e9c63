package dev.gale.gguf;

/** The metadata value types of GGUF, with their ids and fixed sizes (0 for variable-sized types). */
public enum GGUFValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 0),
    ARRAY(9, 0),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    public final int id;
    /** Size in bytes of one value, or 0 for STRING and ARRAY. */
    public final int size;

    GGUFValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The type with this id, or null. */
    public static GGUFValueType fromId(int id) {
        for (GGUFValueType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** The smallest number of bytes one value of this type occupies in a file. */
    public int minEncodedSize() {
        return switch (this) {
            case STRING -> 8;        // length
            case ARRAY -> 4 + 8;     // element type + count
            default -> size;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }
}
