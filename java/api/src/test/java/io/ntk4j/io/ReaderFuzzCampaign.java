package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.InvalidInputException;
import io.ntk4j.TestPaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The time-bound fuzz campaign of the Java readers that ci/fuzz.sh runs (issue 13): for
 * {@code -Dntk4j.fuzz.seconds} per reader, mutants of a growing corpus are read, and each must be
 * read or refused with an {@link InvalidInputException} (a message, exit 2 in the CLI); any other
 * exception or error fails the campaign, and its input is kept in {@code -Dntk4j.fuzz.findings}
 * (default target/fuzz-findings) to become a HostileFilesTest case. The feedback is the outcome:
 * a mutant is added to the corpus when it was accepted or refused with a kind of message not seen
 * before ({@link #kind}), a proxy for a new path through the reader's checks. Not part of
 * ./ntk4j test (its name is not a test class name; ReaderFuzzTest is the short, seeded version).
 */
@EnabledIfSystemProperty(named = "ntk4j.fuzz.seconds", matches = "[0-9]+")
class ReaderFuzzCampaign {
    private static final int MAX_CORPUS = 4096;

    @ParameterizedTest
    @ValueSource(strings = {"npy", "npz", "safetensors", "model.json"})
    void readerSurvivesTheCampaign(String target) throws IOException {
        long seconds = Long.parseLong(System.getProperty("ntk4j.fuzz.seconds"));
        Path scratch = Files.createTempDirectory("ntk4j-fuzz-" + target.replace('.', '-'));
        try {
            ReaderSeeds seeds = new ReaderSeeds(scratch);
            byte[] seed = switch (target) {
                case "npy" -> seeds.npy();
                case "npz" -> seeds.npz();
                case "safetensors" -> seeds.safetensors();
                default -> seeds.modelJson();
            };
            Path file = scratch.resolve(
                    target.equals("model.json") ? "model/model.json" : "m." + target.replace("model.json", ""));
            if (target.equals("model.json")) {
                Path gru = TestPaths.golden("gru");
                Files.createDirectories(file.getParent());
                for (String name : List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh")) {
                    Files.copy(
                            gru.resolve(name + ".npy"),
                            file.resolveSibling(name + ".npy"),
                            StandardCopyOption.REPLACE_EXISTING);
                }
            }
            List<byte[]> corpus = new ArrayList<>(List.of(seed));
            Set<String> outcomes = new HashSet<>();
            Random rng = new Random(Long.getLong("ntk4j.fuzz.seed", System.nanoTime()));
            long end = System.nanoTime() + seconds * 1_000_000_000L, runs = 0, accepted = 0;
            while (System.nanoTime() < end) {
                byte[] input = ReaderSeeds.mutate(corpus.get(rng.nextInt(corpus.size())), rng);
                Files.write(file, input);
                String outcome;
                try {
                    read(target, file);
                    outcome = "accepted";
                    accepted++;
                } catch (InvalidInputException | UncheckedIOException refused) {
                    outcome = kind(String.valueOf(refused.getMessage()).replace(scratch.toString(), ""));
                } catch (RuntimeException | Error e) {
                    Path kept = keep(target, input);
                    throw new AssertionError(
                            target + " reader: " + e + " on a mutated file (kept as " + kept
                                    + "; make it a HostileFilesTest case)",
                            e);
                }
                runs++;
                if (outcomes.add(outcome) && corpus.size() < MAX_CORPUS) {
                    corpus.add(input);
                }
            }
            System.out.printf(
                    "fuzz: %s reader ran %d s, %d inputs (%d accepted), %d distinct outcomes, corpus %d, no findings%n",
                    target, seconds, runs, accepted, outcomes.size(), corpus.size());
            assertThat(runs).as("executions in %d s", seconds).isPositive();
        } finally {
            TemporaryFiles.deleteTree(scratch);
        }
    }

    /**
     * The kind of a refusal: its message without the file's echoed content (what follows "): ",
     * quoted text), numbers and length beyond 100 characters.
     */
    static String kind(String message) {
        int cut = message.indexOf("): ");
        String m = cut >= 0 ? message.substring(0, cut) : message;
        m = m.replaceAll("'[^']*'|\"[^\"]*\"", "'_'").replaceAll("[0-9]+", "#");
        return m.length() > 100 ? m.substring(0, 100) : m;
    }

    private static void read(String target, Path file) {
        switch (target) {
            case "npy" -> {
                try (Arena arena = Arena.ofConfined()) {
                    Npy.read(file, arena);
                }
            }
            case "model.json" -> ModelDirectory.read(file.getParent());
            default -> StateDict.read(file);
        }
    }

    private static Path keep(String target, byte[] input) throws IOException {
        Path dir = Path.of(System.getProperty("ntk4j.fuzz.findings", "target/fuzz-findings"));
        Files.createDirectories(dir);
        Path f = dir.resolve("crash-" + target + "-" + Long.toHexString(System.nanoTime()));
        Files.write(f, input);
        return f.toAbsolutePath();
    }
}
