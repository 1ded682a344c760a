package io.ntk4j.io;

import io.ntk4j.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The malformed files of issue 13, made on demand: HostileFilesTest reads them through the API,
 * HostileFilesCliTest (CLI module) through the commands, which must exit 2 naming the file and
 * the problem.
 */
public final class HostileFiles {
    private HostileFiles() {}

    /** Header dicts of a [3, 2] float64 .npy that NumPy's grammar does not allow. */
    public static final List<String> NPY_HEADERS = List.of(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 2L), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,, 2), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (\u0663, 2), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (6), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), } junk",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), 'shape': (3, 2)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), 'extra': 1}",
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (3, 2)}",
            "{'descr': '<f8', 'shape': (3, 2)}",
            "{'descr': '<f8' 'fortran_order': False, 'shape': (3, 2)}");

    /** safetensors headers (over 16 data bytes) with a wrong type, shape or offsets somewhere. */
    public static final List<String> SAFETENSORS_HEADERS = List.of(
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": 16}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [32]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": []}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": null}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": {\"b\": 0}}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 16]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2147483647, 2147483647], \"data_offsets\": [0, 16]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2.0], \"data_offsets\": [0, 16]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [\"2\"], \"data_offsets\": [0, 16]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [\"0\", \"16\"]}}",
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [2, 14]}, "
                    + "\"b\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [0, 0]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]}, "
                    + "\"b\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [8, 16]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [8, 16]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}",
            "{\"a\": {\"dtype\": 64, \"shape\": [2], \"data_offsets\": [0, 16]}}",
            "{\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]}, "
                    + "\"a\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 16]}}",
            "{\"a\": [1, 2]}");

    /** A model.json edit of a golden model ({@code from} replaced by {@code to}) and what its refusal names. */
    public record ModelEdit(String golden, String from, String to, String message) {}

    /** dt out of (0, 1] or of the wrong type, dt for a cell without one, "bias": false beside bias files. */
    public static final List<ModelEdit> MODEL_EDITS = List.of(
            new ModelEdit("rnn_leaky_dt0p1", "\"dt\": 0.1", "\"dt\": 0", "dt"),
            new ModelEdit("rnn_leaky_dt0p1", "\"dt\": 0.1", "\"dt\": -1", "dt"),
            new ModelEdit("rnn_leaky_dt0p1", "\"dt\": 0.1", "\"dt\": 2", "dt"),
            new ModelEdit("rnn_leaky_dt0p1", "\"dt\": 0.1", "\"dt\": \"0.1\"", "dt"),
            new ModelEdit("rnn_elman", "\"dt\": null", "\"dt\": 0.5", "no time step"),
            new ModelEdit("gru", "\"bias\": true", "\"bias\": false", "\"bias\" is false but"),
            new ModelEdit("cells/rnn_linear_dt0p2", "\"bias\": false", "\"bias\": true", "rnn_linear has no bias"),
            new ModelEdit("cells/rnn_linear_dt0p2", "\"dt\": 0.2", "\"dt\": 1.5", "dt"),
            new ModelEdit("cells/rnn_relu", "\"dt\": null", "\"dt\": 0.5", "no time step"));

    /** The lists above as JUnit method sources ({@code @MethodSource("io.ntk4j.io.HostileFiles#npyHeaders")}). */
    public static java.util.stream.Stream<String> npyHeaders() {
        return NPY_HEADERS.stream();
    }

    public static java.util.stream.Stream<String> safetensorsHeaders() {
        return SAFETENSORS_HEADERS.stream();
    }

    public static java.util.stream.Stream<ModelEdit> modelEdits() {
        return MODEL_EDITS.stream();
    }

    /** A version 1.0 .npy of {@code values} float64 zeros with the given header dict text. */
    public static Path npy(Path dir, String dict, int values) throws IOException {
        String text = dict + " ".repeat(Math.max(0, 118 - dict.length())) + "\n";
        byte[] head = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(10 + head.length + 8 * values).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0})
                .putShort((short) head.length)
                .put(head);
        Path f = Files.createTempFile(dir, "h", ".npy");
        Files.write(f, b.array());
        return f;
    }

    /** A safetensors file with the given header JSON and {@code dataBytes} zero bytes of data. */
    public static Path safetensors(Path dir, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length)
                .array());
        out.write(h);
        out.write(new byte[dataBytes]);
        Path f = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(f, out.toByteArray());
        return f;
    }

    /** The bytes of the golden GRU's weight_ih.npy, a real NumPy file. */
    public static byte[] goldenNpy() throws IOException {
        return Files.readAllBytes(TestPaths.golden("gru").resolve("weight_ih.npy"));
    }

    /** An .npz (zip) with the given entries, STORED (as numpy.savez writes them) or DEFLATED. */
    public static Path npz(Path dir, boolean stored, String[] names, byte[]... data) throws IOException {
        Path f = Files.createTempFile(dir, "z", ".npz");
        try (OutputStream os = Files.newOutputStream(f);
                ZipOutputStream zip = new ZipOutputStream(os)) {
            for (int i = 0; i < names.length; i++) {
                ZipEntry e = new ZipEntry(names[i]);
                if (stored) {
                    CRC32 crc = new CRC32();
                    crc.update(data[i]);
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(data[i].length);
                    e.setCompressedSize(data[i].length);
                    e.setCrc(crc.getValue());
                }
                zip.putNextEntry(e);
                zip.write(data[i]);
                zip.closeEntry();
            }
        }
        return f;
    }

    /** {@code f}, an archive holding {@code data} STORED, with one bit of its last value flipped (the CRC no longer matches). */
    public static Path flipBitIn(Path f, byte[] data) throws IOException {
        byte[] zip = Files.readAllBytes(f);
        int at = indexOf(zip, data) + data.length - 3;
        zip[at] ^= 0x10;
        Files.write(f, zip);
        return f;
    }

    /** An .npz whose weight_ih.npy entry fails its CRC-32. */
    public static Path npzWithBadCrc(Path dir) throws IOException {
        byte[] data = goldenNpy();
        return flipBitIn(npz(dir, true, new String[] {"weight_ih.npy"}, data), data);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("entry data not found in the archive");
    }

    /** An .npz with two entries named a.npy. */
    public static Path npzWithDuplicateEntries(Path dir) throws IOException {
        byte[] data = goldenNpy();
        Path f = npz(dir, true, new String[] {"a.npy", "b.npy"}, data, data);
        byte[] zip = Files.readAllBytes(f);
        // Rename "b.npy" to "a.npy" in both headers (ZipOutputStream refuses to write a duplicate).
        for (int i = 0; i + 5 <= zip.length; i++) {
            if (zip[i] == 'b' && zip[i + 1] == '.' && zip[i + 2] == 'n' && zip[i + 3] == 'p' && zip[i + 4] == 'y') {
                zip[i] = 'a';
            }
        }
        Files.write(f, zip);
        return f;
    }

    /**
     * A zip bomb as its honest sizes read: entries that declare ~2 GB each (the central directory's
     * sizes patched), more of them than {@code maxMemory} bytes hold.
     */
    public static Path npzBomb(Path dir, long maxMemory) throws IOException {
        int n = (int) (maxMemory / 2_000_000_000L) + 2;
        String[] names = new String[n];
        byte[][] data = new byte[n][];
        for (int i = 0; i < n; i++) {
            names[i] = "w" + i + ".npy";
            data[i] = new byte[1000];
        }
        Path f = npz(dir, false, names, data);
        byte[] zip = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int patched = 0;
        for (int i = 0; i + 46 <= zip.length; i++) {
            if (bb.getInt(i) == 0x02014b50) { // central directory file header: uncompressed size at +24
                bb.putInt(i + 24, 2_000_000_000);
                patched++;
            }
        }
        if (patched != n) {
            throw new AssertionError("patched " + patched + " of " + n + " central directory entries");
        }
        Files.write(f, zip);
        return f;
    }

    /** A copy of a golden model directory (weights and model.json) with {@code e} applied to model.json. */
    public static Path modelDir(Path parent, ModelEdit e) throws IOException {
        Path src = TestPaths.golden(e.golden()),
                dir = Files.createTempDirectory(parent, e.golden().replace('/', '-'));
        for (String f : new String[] {"weight_ih.npy", "weight_hh.npy", "bias_ih.npy", "bias_hh.npy"}) {
            if (Files.exists(src.resolve(f))) {
                Files.copy(src.resolve(f), dir.resolve(f));
            }
        }
        String json = Files.readString(src.resolve("model.json"));
        if (!json.contains(e.from())) {
            throw new AssertionError("golden " + e.golden() + "/model.json has no " + e.from());
        }
        Files.writeString(dir.resolve("model.json"), json.replace(e.from(), e.to()));
        return dir;
    }
}
