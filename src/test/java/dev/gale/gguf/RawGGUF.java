package dev.gale.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds GGUF bytes field by field with no checks at all, so tests can make any corrupt file and
 * know the byte offset of every field they {@link #mark}.
 */
final class RawGGUF {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<String, Long> marks = new HashMap<>();

    /** "GGUF", version, tensor_count, metadata_kv_count. */
    static RawGGUF header(int version, long tensorCount, long kvCount) {
        return new RawGGUF().bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensorCount)
                .u64(kvCount);
    }

    /** Remembers the current offset under {@code label}. */
    RawGGUF mark(String label) {
        marks.put(label, (long) out.size());
        return this;
    }

    long at(String label) {
        Long v = marks.get(label);
        if (v == null) {
            throw new IllegalArgumentException("no mark " + label);
        }
        return v;
    }

    long size() {
        return out.size();
    }

    RawGGUF u8(int v) {
        out.write(v);
        return this;
    }

    RawGGUF u16(int v) {
        return put(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v));
    }

    RawGGUF u32(int v) {
        return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v));
    }

    RawGGUF u64(long v) {
        return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v));
    }

    RawGGUF f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    RawGGUF str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).bytes(b);
    }

    RawGGUF bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    RawGGUF zeros(int n) {
        return bytes(new byte[n]);
    }

    /** A key and its value type; the value follows. Marks {@code key}, {@code key.type}, {@code key.value}. */
    RawGGUF key(String key, GGUFValueType type) {
        return key(key, type.id);
    }

    RawGGUF key(String key, int typeId) {
        return mark(key).str(key).mark(key + ".type").u32(typeId).mark(key + ".value");
    }

    RawGGUF kvU32(String key, int v) {
        return key(key, GGUFValueType.UINT32).u32(v);
    }

    RawGGUF kvString(String key, String v) {
        return key(key, GGUFValueType.STRING).str(v);
    }

    /**
     * A tensor info: name, n_dims, dims, type id, offset. Marks {@code name}, {@code name.n_dims},
     * {@code name.dims}, {@code name.dim<i>}, {@code name.type} and {@code name.offset}.
     */
    RawGGUF tensor(String name, int typeId, long offset, long... dims) {
        mark(name).str(name).mark(name + ".n_dims").u32(dims.length).mark(name + ".dims");
        for (int i = 0; i < dims.length; i++) {
            mark(name + ".dim" + i).u64(dims[i]);
        }
        return mark(name + ".type").u32(typeId).mark(name + ".offset").u64(offset);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    RawGGUF pad(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    Path write(Path dir, String name) throws IOException {
        return Files.write(dir.resolve(name), bytes());
    }

    private RawGGUF put(ByteBuffer b) {
        out.writeBytes(b.array());
        return this;
    }

    /** A copy of {@code b} with the little-endian uint64 at {@code offset} replaced. */
    static byte[] withU64(byte[] b, long offset, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong((int) offset, v);
        return c;
    }

    /** A copy of {@code b} with the little-endian uint32 at {@code offset} replaced. */
    static byte[] withU32(byte[] b, long offset, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt((int) offset, v);
        return c;
    }
}
