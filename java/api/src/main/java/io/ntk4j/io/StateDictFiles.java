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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The readers behind {@link StateDict#read}: safetensors and .npz, each validating every field and
 * size before allocating (issue 13), so that a damaged or hostile file is refused with the file,
 * the field and the problem, never read differently or half-way.
 */
final class StateDictFiles {
    private StateDictFiles() {}

    /** Strict JSON for headers: a key given twice, or anything after the object, is an error. */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** At most this many arrays in an .npz archive (a state dict has a handful). */
    static final int MAX_NPZ_ENTRIES = 4096;

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
        Map<String, StateDict.Array> out = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        List<String> spanNames = new ArrayList<>();
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
            if (!t.isObject()) {
                throw new ModelFormatException(where + " must be a JSON object with dtype, shape and data_offsets");
            }
            JsonNode dt = t.get("dtype"), sh = t.get("shape"), off = t.get("data_offsets");
            if (dt == null || sh == null || off == null || t.size() != 3) {
                throw new ModelFormatException(where + " must have exactly the fields dtype, shape and data_offsets");
            }
            if (!dt.isTextual()) {
                throw new ModelFormatException(where + ": dtype must be a string, got " + dt);
            }
            int width = switch (dt.asText()) {
                case "F64" -> 8;
                case "F32" -> 4;
                default ->
                    throw new ModelFormatException(where + " has dtype " + dt.asText() + " (supported: F32, F64)");
            };
            if (!sh.isArray()) {
                throw new ModelFormatException(where + ": shape must be an array of integers, got " + sh);
            }
            long[] shape = new long[sh.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = sh.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                    throw new ModelFormatException(where + ": shape must hold non-negative integers, got " + sh);
                }
                shape[i] = d.asLong();
            }
            long count = elementCount(where, shape, width);
            if (!off.isArray() || off.size() != 2) {
                throw new ModelFormatException(where + ": data_offsets must be an array [begin, end], got " + off);
            }
            for (JsonNode o : off) {
                if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
                    throw new ModelFormatException(
                            where + ": data_offsets must hold non-negative integers, got " + off);
                }
            }
            long begin = off.get(0).asLong(), end = off.get(1).asLong();
            if (end < begin || end > dataLen || end - begin != count * width) {
                throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + ") do not hold "
                        + count + " values of " + dt.asText() + " within the " + dataLen + " data bytes");
            }
            if (begin % width != 0) {
                throw new ModelFormatException(
                        where + ": data_offsets begin at " + begin + ", not aligned to its " + width + "-byte dtype");
            }
            spans.add(new long[] {begin, end});
            spanNames.add(key);
            out.put(
                    key,
                    new StateDict.Array(
                            shape, decode(bb, dataStart + begin, count, width), width == 4 ? "float32" : "float64"));
        }
        checkSpans(file, spans, spanNames, dataLen);
        if (out.isEmpty()) {
            throw new ModelFormatException(file + ": the safetensors file holds no tensors");
        }
        return new StateDict(out, metadata);
    }

    /**
     * The tensors' byte ranges tile the data exactly, as the safetensors format requires: sorted by
     * begin, each starts where the previous ended (no overlap: one tensor never aliases another's
     * bytes; no holes), from 0 to the end of the file.
     */
    private static void checkSpans(Path file, List<long[]> spans, List<String> names, long dataLen) {
        Integer[] order = new Integer[spans.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(i -> spans.get(i)[0]));
        long at = 0;
        String previous = null;
        for (int i : order) {
            long[] sp = spans.get(i);
            if (sp[0] != at) {
                throw new ModelFormatException(file + ": tensor \"" + names.get(i) + "\" starts at data byte " + sp[0]
                        + " but " + (previous == null ? "the data start at 0" : "\"" + previous + "\" ends at " + at)
                        + (sp[0] < at ? " (the tensors overlap)" : " (a gap in the data)"));
            }
            at = sp[1];
            previous = names.get(i);
        }
        if (at != dataLen) {
            throw new ModelFormatException(file + ": the tensors cover " + at + " of the " + dataLen
                    + " data bytes (unindexed bytes at the end)");
        }
    }

    private static double[] decode(ByteBuffer bb, long at, long count, int width) {
        double[] v = new double[Math.toIntExact(count)];
        for (int i = 0; i < v.length; i++) {
            int p = Math.toIntExact(at + (long) i * width);
            v[i] = width == 8 ? bb.getDouble(p) : bb.getFloat(p);
        }
        return v;
    }

    /**
     * The number of elements of {@code shape}, refused (not overflowed) when they could not be an
     * array here: more than 2^31 - 1 values, or more bytes than a Java array holds.
     */
    static long elementCount(String where, long[] shape, int width) {
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new ModelFormatException(
                        where + ": negative dimension " + d + " in shape " + Arrays.toString(shape));
            }
            if (d != 0 && count > (Integer.MAX_VALUE - 8) / width / d) {
                throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " is too large ("
                        + "more than " + (Integer.MAX_VALUE - 8) / width + " values)");
            }
            count *= d;
        }
        return count;
    }

    /**
     * Reads an .npz archive with every size checked before anything is inflated: the entry count,
     * each entry's name and declared size, their total against the memory this JVM can still
     * allocate (a zip bomb is refused, not inflated), then each entry read to exactly its declared
     * size and its CRC-32 checked (NumPy refuses a bad CRC too).
     */
    static StateDict readNpz(Path file) {
        Map<String, StateDict.Array> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            if (zip.size() > MAX_NPZ_ENTRIES) {
                throw new ModelFormatException(file + ": " + zip.size() + " entries, more than an .npz state dict has ("
                        + MAX_NPZ_ENTRIES + ")");
            }
            List<ZipEntry> entries = new ArrayList<>();
            Set<String> names = new HashSet<>();
            long total = 0;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                String name = e.getName();
                if (!name.endsWith(".npy")) {
                    throw new ModelFormatException(file + ": entry \"" + name + "\" is not a .npy array");
                }
                if (!names.add(name)) {
                    throw new ModelFormatException(file + ": entry \"" + name + "\" appears twice");
                }
                long size = e.getSize();
                if (size < 0 || size > Integer.MAX_VALUE - 8) {
                    throw new ModelFormatException(file + ": entry \"" + name + "\" declares "
                            + (size < 0 ? "no size" : size + " bytes, more than one array can hold"));
                }
                total += size;
                entries.add(e);
            }
            Runtime rt = Runtime.getRuntime();
            long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
            // The bytes are held twice while decoding (the entry, then its doubles): keep both in budget.
            if (total > available / 2) {
                throw new ModelFormatException(String.format(
                        "%s: the arrays inflate to %.2f GB but this JVM has %.2f GB available (-Xmx raises the"
                                + " limit); refused before inflating",
                        file, total / 1e9, available / 2e9));
            }
            for (ZipEntry e : entries) {
                String name = e.getName(), key = name.substring(0, name.length() - 4);
                byte[] bytes = new byte[(int) e.getSize()];
                try (InputStream in = zip.getInputStream(e)) {
                    int n = in.readNBytes(bytes, 0, bytes.length);
                    if (n != bytes.length || in.read() != -1) {
                        throw new ModelFormatException(file + ": entry \"" + name + "\" does not have its declared "
                                + bytes.length + " bytes (the archive is damaged)");
                    }
                }
                CRC32 crc = new CRC32();
                crc.update(bytes);
                if (e.getCrc() != -1 && crc.getValue() != e.getCrc()) {
                    throw new ModelFormatException(String.format(
                            "%s: entry \"%s\" fails its CRC-32 check (stored %08x, computed %08x): the archive is damaged",
                            file, name, e.getCrc(), crc.getValue()));
                }
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

    private static StateDict.Array parseNpy(String where, byte[] b) {
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
        String header =
                new String(b, pre, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        NpyHeader h;
        try {
            h = NpyHeader.parse(where, header);
        } catch (NpyFormatException e) {
            throw new ModelFormatException(e.getMessage());
        }
        int width = switch (h.descr()) {
            case "<f8" -> 8;
            case "<f4" -> 4;
            default -> throw new ModelFormatException(where + " has dtype " + h.descr() + " (supported: <f4, <f8)");
        };
        if (h.fortranOrder()) {
            throw new ModelFormatException(where + " is in Fortran order (save it C-contiguous)");
        }
        long[] shape = h.shape();
        long count = elementCount(where, shape, width);
        long data = pre + headerLen;
        if (b.length - data != count * width) {
            throw new ModelFormatException(where + ": " + (b.length - data) + " data bytes for shape "
                    + java.util.Arrays.toString(shape) + " of " + h.descr() + " (" + count * width + " expected)");
        }
        return new StateDict.Array(shape, decode(bb, data, count, width), width == 4 ? "float32" : "float64");
    }
}
