package io.ntk4j.io;

import io.ntk4j.InvalidInputException;
import io.ntk4j.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Mutation fuzzing of every file reader (issue 13), as jqwik properties: a seed corpus of valid
 * files (a golden .npy, an .npz and a safetensors file of the golden GRU, its model.json) is
 * mutated by random bit flips, interesting bytes, deletions, duplications and truncations, and each
 * reader must either read the result or refuse it with an {@link InvalidInputException} (exit 2
 * in the CLI): never another exception, an error, or a crash. Seeded, so a failure reproduces; the
 * shrunk counterexample is what to add to HostileFilesTest.
 */
class ReaderFuzzTest {
    private static Path dir;
    private static byte[] npy;
    private static byte[] npz;
    private static byte[] safetensors;
    private static byte[] modelJson;

    @BeforeContainer
    static void corpus() throws IOException {
        dir = Files.createTempDirectory("ntk4j-fuzz");
        Path gru = TestPaths.golden("gru");
        npy = Files.readAllBytes(gru.resolve("weight_hh.npy"));
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        Map<String, StateDict.Array> arrays = new LinkedHashMap<>();
        try (ZipOutputStream zip = new ZipOutputStream(zipped)) {
            for (String name : List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh")) {
                byte[] b = Files.readAllBytes(gru.resolve(name + ".npy"));
                zip.putNextEntry(new ZipEntry(name + ".npy"));
                zip.write(b);
                zip.closeEntry();
            }
        }
        npz = zipped.toByteArray();
        StateDict read = StateDict.read(write("seed.npz", npz));
        arrays.putAll(read.arrays());
        Path st = dir.resolve("seed.safetensors");
        StateDict.writeSafetensors(st, arrays, Map.of("ntk4j.cell", "gru"));
        safetensors = Files.readAllBytes(st);
        modelJson = Files.readAllBytes(gru.resolve("model.json"));
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }

    private static Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** Seeds of the mutations (jqwik shrinks a failing one to a small count of mutations). */
    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    /** 1 to 8 random mutations of {@code seed} drawn from {@code rng}. */
    static byte[] mutate(byte[] seed, long rngSeed) {
        Random rng = new Random(rngSeed);
        byte[] b = seed.clone();
        int n = 1 + rng.nextInt(8);
        byte[] interesting = {
            0,
            (byte) 0xff,
            (byte) 0x7f,
            (byte) 0x80,
            '9',
            ',',
            '"',
            '\'',
            '(',
            ')',
            '[',
            ']',
            '{',
            '}',
            ':',
            '-',
            'L',
            ' ',
            '\n'
        };
        for (int m = 0; m < n && b.length > 0; m++) {
            int at = rng.nextInt(b.length);
            switch (rng.nextInt(6)) {
                case 0 -> b[at] ^= (byte) (1 << rng.nextInt(8));
                case 1 -> b[at] = interesting[rng.nextInt(interesting.length)];
                case 2 -> b[at] = (byte) rng.nextInt(256);
                case 3 -> { // delete a short range
                    int len = Math.min(1 + rng.nextInt(16), b.length - at);
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                }
                case 4 -> { // duplicate a short range
                    int len = Math.min(1 + rng.nextInt(16), b.length - at);
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at + len);
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                }
                default -> b = java.util.Arrays.copyOf(b, at); // truncate
            }
        }
        return b;
    }

    /** Runs a reader: a refusal must be an InvalidInputException; anything else fails the property. */
    private static void readOrRefuse(Runnable read) {
        try {
            read.run();
        } catch (InvalidInputException | UncheckedIOException expected) {
            // a refusal with a message: what a damaged file must get
        }
    }

    @Property(tries = 1500, seed = "2605")
    void npyFilesAreReadOrRefused(@ForAll("seeds") long seed) throws IOException {
        Path f = write("m.npy", mutate(npy, seed));
        readOrRefuse(() -> {
            try (Arena arena = Arena.ofConfined()) {
                Npy.read(f, arena);
            }
        });
    }

    @Property(tries = 1500, seed = "2605")
    void npzArchivesAreReadOrRefused(@ForAll("seeds") long seed) throws IOException {
        Path f = write("m.npz", mutate(npz, seed));
        readOrRefuse(() -> StateDict.read(f));
    }

    @Property(tries = 1500, seed = "2605")
    void safetensorsFilesAreReadOrRefused(@ForAll("seeds") long seed) throws IOException {
        Path f = write("m.safetensors", mutate(safetensors, seed));
        readOrRefuse(() -> StateDict.read(f));
    }

    @Property(tries = 600, seed = "2605")
    void modelDirectoriesAreReadOrRefused(@ForAll("seeds") long seed) throws IOException {
        Path m = dir.resolve("model-" + Long.toHexString(seed));
        Files.createDirectories(m);
        Path gru = TestPaths.golden("gru");
        for (String name : List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh")) {
            Files.copy(gru.resolve(name + ".npy"), m.resolve(name + ".npy"), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.write(m.resolve("model.json"), mutate(modelJson, seed));
        readOrRefuse(() -> ModelDirectory.read(m));
    }
}
