package dev.gale.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only with the FFM API.
 *
 * <p>Opening parses and validates the header, the metadata and the tensor infos; tensor data is
 * never read or copied: {@link #tensorData} returns a slice of the mapping, so opening costs the
 * same for a 30 GB file as for a small one. The mapping lives until {@link #close()}.
 *
 * <p>Validation: magic, version, counts against the bytes left, string lengths, value and tensor
 * types, bools, array nesting (8 deep at most), unique non-empty keys and tensor names,
 * {@code general.alignment} (an integer power of two), 1 to 4 positive dims whose element and byte
 * counts fit in int64 and whose row length is a multiple of the type's block size, and every
 * tensor's data aligned, inside the file and overlapping no other. Whatever the bytes, a bad file
 * gives a {@link GGUFException} naming the file, the field and its byte offset: decoded metadata
 * is charged against a heap budget (a quarter of the heap, at most 1 GiB) before it is allocated,
 * and every read is bounds-checked. The one thing validation cannot guard against is the file
 * being truncated by another process while mapped (the JVM then throws an InternalError on access).
 */
public final class GGUFFile implements AutoCloseable {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    /** The largest general.alignment accepted. */
    public static final int MAX_ALIGNMENT = 1 << 30;

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final Map<String, GGUFValue> metadata;
    private final Map<String, GGUFTensorInfo> tensors;
    private final int alignment;
    private final long dataStart;

    private GGUFFile(Path path, Arena arena, MemorySegment segment, int version, Map<String, GGUFValue> metadata,
                     Map<String, GGUFTensorInfo> tensors, int alignment, long dataStart) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
        this.dataStart = dataStart;
    }

    /**
     * Maps and validates a GGUF file.
     *
     * @throws GGUFException         if the file is not a valid GGUF file (or is a directory)
     * @throws NoSuchFileException   if there is no such file
     * @throws IOException           if the file cannot be read or mapped
     */
    public static GGUFFile open(Path path) throws IOException {
        return open(path, GGUFReader.DEFAULT_BUDGET);
    }

    /** As {@link #open(Path)}, decoding at most {@code metadataBudget} bytes of metadata onto the heap. */
    static GGUFFile open(Path path, long metadataBudget) throws IOException {
        if (Files.isDirectory(path)) {
            throw new GGUFException(path, "file", 0, "is a directory, not a GGUF file");
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new GGUFException(path, "file", 0, "is not a regular file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new GGUFException(path, "magic", 0, "file is empty");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(path, arena, seg, metadataBudget);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new NoSuchFileException(path.toString(), null, "no such file");
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses and validates GGUF bytes already in memory, exactly as {@link #open} does a mapped
     * file; {@code path} only names them in errors. For tests, which open thousands of variants.
     */
    static GGUFFile parse(Path path, MemorySegment bytes, long budget) throws GGUFException {
        Arena arena = Arena.ofConfined();
        try {
            if (bytes.byteSize() == 0) {
                throw new GGUFException(path, "magic", 0, "file is empty");
            }
            return parse(path, arena, bytes, budget);
        } catch (GGUFException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static GGUFFile parse(Path path, Arena arena, MemorySegment seg, long budget) throws GGUFException {
        GGUFReader r = new GGUFReader(path, seg, budget);
        int magic = r.u32("magic");
        if (magic != MAGIC) {
            throw new GGUFException(path, "magic", 0, String.format(
                    "not a GGUF file (expected bytes 'GGUF', found %08x)", Integer.reverseBytes(magic)));
        }
        int version = r.u32("version");
        if (version == 1) {
            throw new GGUFException(path, "version", 4, "GGUF version 1 is obsolete; convert the model again");
        }
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? "big-endian GGUF files are not supported" : "only versions 2 and 3 are supported";
            throw new GGUFException(path, "version", 4, "unsupported GGUF version " + Integer.toUnsignedString(version)
                    + " (" + hint + ")");
        }
        long tensorCount = r.count("tensor_count", GGUFReader.MIN_TENSOR_INFO_SIZE);
        long kvCount = r.count("metadata_kv_count", GGUFReader.MIN_KV_SIZE);

        Map<String, GGUFValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyOffset = r.position();
            String key = r.name("metadata key #" + i);
            if (metadata.containsKey(key)) {
                throw new GGUFException(path, key, keyOffset, "duplicate metadata key");
            }
            metadata.put(key, r.value(key, keyOffset));
        }
        int alignment = alignment(path, metadata.get("general.alignment"));

        Map<String, GGUFTensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            GGUFTensorInfo t = r.tensorInfo(i);
            if (tensors.putIfAbsent(t.name(), t) != null) {
                throw new GGUFException(path, "tensor '" + t.name() + "'", t.infoOffset(), "duplicate tensor name");
            }
        }

        long dataStart = alignUp(r.position(), alignment);
        long fileSize = seg.byteSize();
        if (tensorCount > 0 && dataStart > fileSize) {
            throw new GGUFException(path, "tensor data", r.position(), "file ends before the tensor data section (at "
                    + dataStart + ")");
        }
        validateTensorData(path, tensors.values(), dataStart, fileSize, alignment);
        return new GGUFFile(path, arena, seg, version, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableMap(tensors), alignment, dataStart);
    }

    private static int alignment(Path path, GGUFValue align) throws GGUFException {
        if (align == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!align.type().isInteger()) {
            throw new GGUFException(path, "general.alignment", align.offset(), "must be an integer, found " + align.type());
        }
        long a = ((Number) align.value()).longValue();
        if (a <= 0 || a > MAX_ALIGNMENT || Long.bitCount(a) != 1) {
            throw new GGUFException(path, "general.alignment", align.offset(), "must be a power of two in [1, "
                    + MAX_ALIGNMENT + "], found " + align);
        }
        return (int) a;
    }

    private static void validateTensorData(Path path, Iterable<GGUFTensorInfo> infos, long dataStart, long fileSize,
                                           int alignment) throws GGUFException {
        List<GGUFTensorInfo> sorted = new ArrayList<>();
        long available = fileSize - dataStart;
        for (GGUFTensorInfo t : infos) {
            String field = "tensor '" + t.name() + "' offset";
            if (t.dataOffset() % alignment != 0) {
                throw new GGUFException(path, field, t.offsetFieldAt(), "data offset " + t.dataOffset()
                        + " is not a multiple of the alignment " + alignment);
            }
            if (t.dataOffset() > available || t.byteSize() > available - t.dataOffset()) {
                throw new GGUFException(path, field, t.offsetFieldAt(), "data of " + t.byteSize() + " bytes at offset "
                        + t.dataOffset() + " of the data section (file byte " + dataStart + ") runs past the end of "
                        + "the file (" + fileSize + " bytes)");
            }
            sorted.add(t);
        }
        sorted.sort(Comparator.comparingLong(GGUFTensorInfo::dataOffset));
        for (int i = 1; i < sorted.size(); i++) {
            GGUFTensorInfo prev = sorted.get(i - 1);
            GGUFTensorInfo cur = sorted.get(i);
            if (prev.dataOffset() + prev.byteSize() > cur.dataOffset()) {
                throw new GGUFException(path, "tensor '" + cur.name() + "' offset", cur.offsetFieldAt(),
                        "data [" + cur.dataOffset() + ", " + (cur.dataOffset() + cur.byteSize()) + ") overlaps tensor '"
                        + prev.name() + "' [" + prev.dataOffset() + ", " + (prev.dataOffset() + prev.byteSize()) + ")");
            }
        }
    }

    static long alignUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** File offset where the tensor data section starts. */
    public long dataStart() {
        return dataStart;
    }

    public long fileSize() {
        return segment.byteSize();
    }

    /** All metadata, in file order. */
    public Map<String, GGUFValue> metadata() {
        return metadata;
    }

    /** All tensor infos, in file order. */
    public Map<String, GGUFTensorInfo> tensors() {
        return tensors;
    }

    public GGUFTensorInfo tensor(String name) {
        return tensors.get(name);
    }

    /** The tensor's bytes: a slice of the mapping, valid until {@link #close()}. */
    public MemorySegment tensorData(GGUFTensorInfo t) {
        return segment.asSlice(dataStart + t.dataOffset(), t.byteSize());
    }

    /** The whole mapped file. */
    public MemorySegment segment() {
        return segment;
    }

    // ---- typed metadata access; a wrong type is a GGUFException naming the key ----

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public String getString(String key) throws GGUFException {
        return (String) require(key, GGUFValueType.STRING).value();
    }

    public String getString(String key, String orElse) throws GGUFException {
        return has(key) ? getString(key) : orElse;
    }

    /** An integer of any integer type (a UINT64 above 2^63 - 1 is an error). */
    public long getLong(String key) throws GGUFException {
        GGUFValue v = require(key, null);
        if (!v.type().isInteger()) {
            throw new GGUFException(path, key, v.offset(), "expected an integer, found " + v.type());
        }
        long value = ((Number) v.value()).longValue();
        if (v.type() == GGUFValueType.UINT64 && value < 0) {
            throw new GGUFException(path, key, v.offset(), "value " + Long.toUnsignedString(value) + " is too large");
        }
        return value;
    }

    /** An integer that must fit in [min, max]. */
    public int getInt(String key, int min, int max) throws GGUFException {
        long v = getLong(key);
        if (v < min || v > max) {
            throw new GGUFException(path, key, metadata.get(key).offset(), "value " + v + " is out of range [" + min
                    + ", " + max + "]");
        }
        return (int) v;
    }

    public int getInt(String key, int min, int max, int orElse) throws GGUFException {
        return has(key) ? getInt(key, min, max) : orElse;
    }

    /** A float (FLOAT32 or FLOAT64). */
    public float getFloat(String key) throws GGUFException {
        GGUFValue v = require(key, null);
        if (v.type() != GGUFValueType.FLOAT32 && v.type() != GGUFValueType.FLOAT64) {
            throw new GGUFException(path, key, v.offset(), "expected a float, found " + v.type());
        }
        return ((Number) v.value()).floatValue();
    }

    public float getFloat(String key, float orElse) throws GGUFException {
        return has(key) ? getFloat(key) : orElse;
    }

    public boolean getBoolean(String key, boolean orElse) throws GGUFException {
        return has(key) ? (Boolean) require(key, GGUFValueType.BOOL).value() : orElse;
    }

    public GGUFArray getArray(String key, GGUFValueType elementType) throws GGUFException {
        GGUFValue v = require(key, GGUFValueType.ARRAY);
        GGUFArray a = (GGUFArray) v.value();
        if (elementType != null && a.elementType() != elementType) {
            throw new GGUFException(path, key, v.offset(), "expected an array of " + elementType + ", found an array of "
                    + a.elementType());
        }
        return a;
    }

    /** The elements of an integer array of any integer type, as ints. */
    public int[] getIntArray(String key) throws GGUFException {
        GGUFArray a = getArray(key, null);
        if (!a.elementType().isInteger()) {
            throw new GGUFException(path, key, metadata.get(key).offset(), "expected an integer array, found an array of "
                    + a.elementType());
        }
        try {
            return a.ints();
        } catch (ArithmeticException e) {
            throw new GGUFException(path, key, metadata.get(key).offset(), e.getMessage());
        }
    }

    /** A GGUFException naming this file, the key and its offset. */
    public GGUFException error(String key, String problem) {
        GGUFValue v = metadata.get(key);
        return new GGUFException(path, key, v == null ? 0 : v.offset(), problem);
    }

    private GGUFValue require(String key, GGUFValueType type) throws GGUFException {
        GGUFValue v = metadata.get(key);
        if (v == null) {
            throw new GGUFException(path, key, 0, "required metadata key is missing");
        }
        if (type != null && v.type() != type) {
            throw new GGUFException(path, key, v.offset(), "expected " + type + ", found " + v.type());
        }
        return v;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
