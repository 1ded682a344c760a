package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The malformed files of issue 13, each refused with a message naming the file and the problem
 * (InvalidInputException: exit 2 in the CLI), none read differently, none an internal error.
 */
class HostileFilesTest {
    @TempDir
    Path tmp;

    // ---- .npy headers -------------------------------------------------------------------------

    /** A version 1.0 .npy of 3 x 2 float64 zeros with the given header dict text. */
    private Path npy(String dict, int values) throws IOException {
        String text = dict + " ".repeat(Math.max(0, 118 - dict.length())) + "\n";
        byte[] head = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(10 + head.length + 8 * values).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0})
                .putShort((short) head.length)
                .put(head);
        Path f = Files.createTempFile(tmp, "h", ".npy");
        Files.write(f, b.array());
        return f;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 2L), }",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,, 2), }",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (\u0663, 2), }",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (6), }",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), } junk",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), 'shape': (3, 2)}",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), 'extra': 1}",
                "{'descr': '<f8', 'fortran_order': 0, 'shape': (3, 2)}",
                "{'descr': '<f8', 'shape': (3, 2)}",
                "{'descr': '<f8' 'fortran_order': False, 'shape': (3, 2)}"
            })
    void malformedNpyHeadersAreRefusedWithTheReason(String dict) throws IOException {
        Path f = npy(dict, 6);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Npy.read(f, arena))
                    .isInstanceOf(NpyFormatException.class)
                    .hasMessageContaining(f.toString())
                    .hasMessageContaining("malformed .npy header");
        }
    }

    @Test
    void wellFormedHeadersInNumpysOwnVariantsAreRead() throws IOException {
        for (String dict : new String[] {
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
            "{\"shape\": (3,2), \"descr\": \"<f8\", \"fortran_order\": False}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (6,)}"
        }) {
            try (Arena arena = Arena.ofConfined()) {
                assertThat(Npy.read(npy(dict, 6), arena).size()).as(dict).isEqualTo(6);
            }
        }
    }

    // ---- .npz -----------------------------------------------------------------------------------

    /** The bytes of the golden GRU's weight_ih.npy, a real NumPy file. */
    private static byte[] goldenNpy() throws IOException {
        return Files.readAllBytes(TestPaths.golden("gru").resolve("weight_ih.npy"));
    }

    /** An .npz (zip) with the given entries, STORED (as numpy.savez writes them) or DEFLATED. */
    private Path npz(boolean stored, String[] names, byte[]... data) throws IOException {
        Path f = Files.createTempFile(tmp, "z", ".npz");
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

    @Test
    void anNpzEntryWithABadCrcIsRefused() throws IOException {
        byte[] data = goldenNpy();
        Path f = npz(true, new String[] {"weight_ih.npy"}, data);
        assertThat(StateDict.read(f).arrays()).containsKey("weight_ih");
        // Flip one bit of the last weight inside the archive (a STORED entry holds the bytes as they are).
        byte[] zip = Files.readAllBytes(f);
        int at = indexOf(zip, data) + data.length - 3;
        zip[at] ^= 0x10;
        Files.write(f, zip);
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("CRC-32");
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

    @Test
    void duplicateNpzEntriesAreRefused() throws IOException {
        byte[] data = goldenNpy();
        Path f = npz(true, new String[] {"a.npy", "b.npy"}, data, data);
        byte[] zip = Files.readAllBytes(f);
        // Rename "b.npy" to "a.npy" in both headers (ZipOutputStream refuses to write a duplicate).
        for (int i = 0; i + 5 <= zip.length; i++) {
            if (zip[i] == 'b' && zip[i + 1] == '.' && zip[i + 2] == 'n' && zip[i + 3] == 'p' && zip[i + 4] == 'y') {
                zip[i] = 'a';
            }
        }
        Files.write(f, zip);
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString());
    }

    @Test
    void anNpzThatInflatesBeyondTheAvailableMemoryIsRefusedBeforeInflating() throws IOException {
        // Entries that declare ~2 GB each (the central directory's sizes patched, as a zip bomb's
        // honest sizes would read), enough of them to exceed what this JVM can allocate.
        int n = (int) (Runtime.getRuntime().maxMemory() / 2_000_000_000L) + 2;
        String[] names = new String[n];
        byte[][] data = new byte[n][];
        for (int i = 0; i < n; i++) {
            names[i] = "w" + i + ".npy";
            data[i] = new byte[1000];
        }
        Path f = npz(false, names, data);
        byte[] zip = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int patched = 0;
        for (int i = 0; i + 46 <= zip.length; i++) {
            if (bb.getInt(i) == 0x02014b50) { // central directory file header: uncompressed size at +24
                bb.putInt(i + 24, 2_000_000_000);
                patched++;
            }
        }
        assertThat(patched).isEqualTo(n);
        Files.write(f, zip);
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("refused before inflating");
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThat(after - before).as("bytes allocated while refusing").isLessThan(256L << 20);
    }

    // ---- safetensors ----------------------------------------------------------------------------

    /** A safetensors file with the given header JSON and {@code dataBytes} zero bytes of data. */
    private Path safetensors(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length)
                .array());
        out.write(h);
        out.write(new byte[dataBytes]);
        Path f = Files.createTempFile(tmp, "t", ".safetensors");
        Files.write(f, out.toByteArray());
        return f;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
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
                "{\"a\": [1, 2]}"
            })
    void malformedSafetensorsAreRefusedNamingTheFile(String header) throws IOException {
        Path f = safetensors(header, 16);
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString());
    }

    @Test
    void aWellFormedSafetensorsFileIsRead() throws IOException {
        Path f = safetensors(
                "{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [8, 16]}, "
                        + "\"b\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}",
                16);
        assertThat(StateDict.read(f).arrays()).containsKeys("a", "b");
    }

    // ---- model.json -----------------------------------------------------------------------------

    private Path modelDir(String golden, String from, String to) throws IOException {
        Path src = TestPaths.golden(golden), dir = Files.createTempDirectory(tmp, golden);
        for (String f : new String[] {"weight_ih.npy", "weight_hh.npy", "bias_ih.npy", "bias_hh.npy"}) {
            if (Files.exists(src.resolve(f))) {
                Files.copy(src.resolve(f), dir.resolve(f));
            }
        }
        String json = Files.readString(src.resolve("model.json"));
        assertThat(json).as("golden model.json").contains(from);
        Files.writeString(dir.resolve("model.json"), json.replace(from, to));
        return dir;
    }

    @Test
    void modelJsonFieldsAreCheckedForRangeAndConsistencyWithTheFiles() throws IOException {
        for (String dt : new String[] {"0", "-1", "2", "\"0.1\""}) {
            Path d = modelDir("rnn_leaky_dt0p1", "\"dt\": 0.1", "\"dt\": " + dt);
            assertThatThrownBy(() -> ModelDirectory.read(d))
                    .as("dt " + dt)
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("dt");
        }
        Path elmanDt = modelDir("rnn_elman", "\"dt\": null", "\"dt\": 0.5");
        assertThatThrownBy(() -> ModelDirectory.read(elmanDt)).hasMessageContaining("no time step");
        Path noBias = modelDir("gru", "\"bias\": true", "\"bias\": false");
        assertThatThrownBy(() -> ModelDirectory.read(noBias))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("\"bias\" is false but");
    }
}
