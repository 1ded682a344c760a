package io.ntk4j.io;

import io.ntk4j.InvalidInputException;
import io.ntk4j.TestPaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
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
    private static ReaderSeeds seeds;

    @BeforeContainer
    static void corpus() throws IOException {
        dir = Files.createTempDirectory("ntk4j-fuzz");
        seeds = new ReaderSeeds(dir);
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        TemporaryFiles.deleteTree(dir);
    }

    private static Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] mutate(byte[] seed, long rngSeed) {
        return ReaderSeeds.mutate(seed, new Random(rngSeed));
    }

    /** Seeds of the mutations (jqwik shrinks a failing one to a small count of mutations). */
    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
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
        Path f = write("m.npy", mutate(seeds.npy(), seed));
        readOrRefuse(() -> {
            try (Arena arena = Arena.ofConfined()) {
                Npy.read(f, arena);
            }
        });
    }

    @Property(tries = 1500, seed = "2605")
    void npzArchivesAreReadOrRefused(@ForAll("seeds") long seed) throws IOException {
        Path f = write("m.npz", mutate(seeds.npz(), seed));
        readOrRefuse(() -> StateDict.read(f));
    }

    @Property(tries = 1500, seed = "2605")
    void safetensorsFilesAreReadOrRefused(@ForAll("seeds") long seed) throws IOException {
        Path f = write("m.safetensors", mutate(seeds.safetensors(), seed));
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
        Files.write(m.resolve("model.json"), mutate(seeds.modelJson(), seed));
        readOrRefuse(() -> ModelDirectory.read(m));
    }
}
