package io.ntk4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

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

    private StateDict(Map<String, Array> arrays, Map<String, String> metadata) {
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
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            try {
                Files.write(tmp, buf.array());
                Files.move(
                        tmp,
                        file,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
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
            return readSafetensors(file);
        }
        if (name.endsWith(".npz")) {
            return readNpz(file);
        }
        throw new ModelFormatException(
                file + ": unknown model file type (supported: a model directory, .safetensors, .npz)");
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static StateDict readSafetensors(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": no such file");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage());
        }
        if (all.length < 8) {
            throw new ModelFormatException(file + ": too short for a safetensors file (" + all.length + " bytes)");
        }
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = bb.getLong(0);
        if (headerLen <= 0 || headerLen > all.length - 8L || headerLen > (100L << 20)) {
            throw new ModelFormatException(
                    file + ": bad safetensors header length " + headerLen + " (file has " + all.length + " bytes)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(all, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": malformed safetensors header: " + e.getMessage());
        }
        if (header == null || !header.isObject()) {
            throw new ModelFormatException(file + ": the safetensors header must be a JSON object");
        }
        long dataStart = 8 + headerLen, dataLen = all.length - dataStart;
        Map<String, Array> out = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.equals("__metadata__")) {
                if (!e.getValue().isObject()) {
                    throw new ModelFormatException(file + ": __metadata__ must be a JSON object of strings");
                }
                e.getValue().fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw new ModelFormatException(file + ": __metadata__ \"" + m.getKey() + "\" must be a string");
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            JsonNode t = e.getValue();
            String where = file + ": tensor \"" + key + "\"";
            if (!t.has("dtype") || !t.has("shape") || !t.has("data_offsets")) {
                throw new ModelFormatException(where + " lacks dtype, shape or data_offsets");
            }
            String dtype = t.get("dtype").asText();
            int width = switch (dtype) {
                case "F64" -> 8;
                case "F32" -> 4;
                default -> throw new ModelFormatException(where + " has dtype " + dtype + " (supported: F32, F64)");
            };
            long[] shape = new long[t.get("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).asLong(-1);
                if (shape[i] < 0) {
                    throw new ModelFormatException(where + " has a negative or non-integer dimension");
                }
                count = Math.multiplyExact(count, shape[i]);
            }
            long begin = t.get("data_offsets").get(0).asLong(-1),
                    end = t.get("data_offsets").get(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataLen || end - begin != count * width) {
                throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + ") do not hold "
                        + count + " values of " + dtype + " within the " + dataLen + " data bytes");
            }
            out.put(
                    key,
                    new Array(shape, decode(bb, dataStart + begin, count, width), width == 4 ? "float32" : "float64"));
        }
        if (out.isEmpty()) {
            throw new ModelFormatException(file + ": the safetensors file holds no tensors");
        }
        return new StateDict(out, metadata);
    }

    private static double[] decode(ByteBuffer bb, long at, long count, int width) {
        double[] v = new double[Math.toIntExact(count)];
        for (int i = 0; i < v.length; i++) {
            int p = Math.toIntExact(at + (long) i * width);
            v[i] = width == 8 ? bb.getDouble(p) : bb.getFloat(p);
        }
        return v;
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    static StateDict readNpz(Path file) {
        Map<String, Array> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                String name = e.getName();
                if (!name.endsWith(".npy")) {
                    throw new ModelFormatException(file + ": entry \"" + name + "\" is not a .npy array");
                }
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                String key = name.substring(0, name.length() - 4);
                out.put(key, parseNpy(file + ": array \"" + key + "\"", bytes));
            }
        } catch (ZipException e) {
            throw new ModelFormatException(file + ": not a valid .npz (zip) archive: " + e.getMessage());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new ModelFormatException(file + ": the .npz archive holds no arrays");
        }
        return new StateDict(out, Map.of());
    }

    private static Array parseNpy(String where, byte[] b) {
        if (b.length < 10
                || (b[0] & 0xff) != 0x93
                || b[1] != 'N'
                || b[2] != 'U'
                || b[3] != 'M'
                || b[4] != 'P'
                || b[5] != 'Y') {
            throw new ModelFormatException(where + ": not a .npy array (bad magic string)");
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int major = b[6] & 0xff;
        long headerLen;
        int pre;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xffff;
            pre = 10;
        } else if (major == 2 || major == 3) {
            if (b.length < 12) {
                throw new ModelFormatException(where + ": truncated header");
            }
            headerLen = bb.getInt(8) & 0xffffffffL;
            pre = 12;
        } else {
            throw new ModelFormatException(where + ": unsupported .npy version " + major);
        }
        if (pre + headerLen > b.length) {
            throw new ModelFormatException(where + ": truncated header");
        }
        String header = new String(b, pre, (int) headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new ModelFormatException(where + ": malformed header " + header.strip());
        }
        int width = switch (d.group(1)) {
            case "<f8" -> 8;
            case "<f4" -> 4;
            default -> throw new ModelFormatException(where + " has dtype " + d.group(1) + " (supported: <f4, <f8)");
        };
        if (f.group(1).equals("True")) {
            throw new ModelFormatException(where + " is in Fortran order (save it C-contiguous)");
        }
        String dims = s.group(1).strip();
        String[] parts = dims.isEmpty() ? new String[0] : dims.split(",");
        int rank = 0;
        long[] tmp = new long[parts.length];
        long count = 1;
        for (String p : parts) {
            if (p.isBlank()) {
                continue;
            }
            try {
                tmp[rank] = Long.parseLong(p.strip());
            } catch (NumberFormatException ex) {
                throw new ModelFormatException(where + ": bad shape (" + dims + ")");
            }
            count = Math.multiplyExact(count, tmp[rank]);
            rank++;
        }
        long[] shape = java.util.Arrays.copyOf(tmp, rank);
        long data = pre + headerLen;
        if (b.length - data != count * width) {
            throw new ModelFormatException(where + ": " + (b.length - data) + " data bytes for shape "
                    + java.util.Arrays.toString(shape) + " of " + d.group(1) + " (" + count * width + " expected)");
        }
        return new Array(shape, decode(bb, data, count, width), width == 4 ? "float32" : "float64");
    }
}
