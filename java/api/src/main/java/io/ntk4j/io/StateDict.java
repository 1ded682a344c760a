package io.ntk4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A PyTorch state dict read from a {@code .safetensors} file or a NumPy {@code .npz} archive: named
 * float32 or float64 arrays, upcast to float64 (row-major, as saved). A strict reader of our own
 * (no maintained Java library reads these formats): every length, offset and dtype is checked, and
 * anything else (other dtypes, Fortran order, overlapping or out-of-range data) is refused with
 * the file and tensor named.
 *
 * {@snippet :
 * StateDict sd = StateDict.read(Path.of("model.safetensors"));
 * for (var e : sd.arrays().entrySet()) System.out.println(e.getKey() + " " + java.util.Arrays.toString(e.getValue().shape()));
 * }
 */
public final class StateDict {
    /** One named array: its shape, values (float64) and the dtype it was stored in ("float32" or "float64"). */
    public record Array(long[] shape, double[] values, String storedAs) {}

    private final Map<String, Array> arrays;
    private final Map<String, String> metadata;

    StateDict(Map<String, Array> arrays, Map<String, String> metadata) {
        this.arrays = java.util.Collections.unmodifiableMap(arrays);
        this.metadata = java.util.Collections.unmodifiableMap(metadata);
    }

    /** A safetensors file's {@code __metadata__} (string values only; empty for .npz). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The arrays in file order. */
    public Map<String, Array> arrays() {
        return arrays;
    }

    /** Whether any array was stored as float32 (and upcast). */
    public boolean upcast() {
        return arrays.values().stream().anyMatch(a -> a.storedAs().equals("float32"));
    }

    /**
     * Writes float64 arrays (names in map order) and string metadata as a {@code .safetensors} file:
     * 8-byte little-endian header length, the JSON header padded with spaces to 8 bytes, the raw
     * little-endian data. Written beside the target and moved into place, so a failure leaves no
     * partial file.
     */
    public static void writeSafetensors(Path file, Map<String, Array> arrays, Map<String, String> metadata) {
        ObjectMapper json = new ObjectMapper();
        var header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            var m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Array> e : arrays.entrySet()) {
            Array a = e.getValue();
            if (a.values().length != java.util.Arrays.stream(a.shape()).reduce(1, Math::multiplyExact)) {
                throw new IllegalArgumentException(e.getKey() + ": " + a.values().length + " values for shape "
                        + java.util.Arrays.toString(a.shape()));
            }
            var t = header.putObject(e.getKey());
            t.put("dtype", "F64");
            var shape = t.putArray("shape");
            for (long d : a.shape()) {
                shape.add(d);
            }
            long end = offset + 8L * a.values().length;
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] head;
        try {
            head = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        int padded = (head.length + 7) / 8 * 8;
        ByteBuffer buf =
                ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded);
        buf.put(head);
        for (int i = head.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        for (Array a : arrays.values()) {
            for (double v : a.values()) {
                buf.putDouble(v);
            }
        }
        try {
            TemporaryFiles.writeAtomically(file, buf.array());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Reads a {@code .safetensors} or {@code .npz} file (chosen by its extension). */
    public static StateDict read(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": no such file");
        }
        if (name.endsWith(".safetensors")) {
            return StateDictFiles.readSafetensors(file);
        }
        if (name.endsWith(".npz")) {
            return StateDictFiles.readNpz(file);
        }
        throw new ModelFormatException(
                file + ": unknown model file type (supported: a model directory, .safetensors, .npz)");
    }
}
