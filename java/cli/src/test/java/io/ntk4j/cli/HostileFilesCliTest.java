package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.TestPaths;
import io.ntk4j.io.HostileFiles;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every malformed file of issue 13 ({@link HostileFiles}) through the commands a user runs: exit 2
 * with a message naming the file and the problem, no result printed and no output written; never
 * exit 0, 1 (usage) or 4 (internal error).
 */
class HostileFilesCliTest {
    @TempDir
    Path tmp;

    private static String gru(String file) {
        return TestPaths.golden("gru").resolve(file).toString();
    }

    /** {@code spectrum} of {@code model} on {@code inputs}, refused: exit 2 naming {@code file} and {@code what}. */
    private static void refused(String model, String inputs, Path file, String what) {
        CliTest.Result r = CliTest.run("spectrum", "--model", model, "--inputs", inputs, "--top", "2", "--json");
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(file.toString()).contains(what).doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("io.ntk4j.io.HostileFiles#npyHeaders")
    void malformedNpyInputsAreRefusedAndNothingIsWritten(String dict) throws IOException {
        Path x = HostileFiles.npy(tmp, dict, 6);
        refused(gru(""), x.toString(), x, "malformed .npy header");
        Path out = tmp.resolve("y.npy");
        CliTest.Result r = CliTest.apply(gru(""), gru("inputs.npy"), x.toString(), "P", out.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(x.toString()).contains("malformed .npy header");
        assertThat(out).doesNotExist();
    }

    @ParameterizedTest
    @MethodSource("io.ntk4j.io.HostileFiles#safetensorsHeaders")
    void malformedSafetensorsModelsAreRefused(String header) throws IOException {
        Path f = HostileFiles.safetensors(tmp, header, 16);
        refused(f.toString(), gru("inputs.npy"), f, "");
    }

    @Test
    void damagedNpzModelsAreRefused() throws IOException {
        Path crc = HostileFiles.npzWithBadCrc(tmp);
        refused(crc.toString(), gru("inputs.npy"), crc, "CRC-32");
        Path dup = HostileFiles.npzWithDuplicateEntries(tmp);
        refused(dup.toString(), gru("inputs.npy"), dup, "");
        // The CLI runs in this JVM: a bomb beyond this JVM's heap, refused before inflating.
        Path bomb = HostileFiles.npzBomb(tmp, Runtime.getRuntime().maxMemory());
        refused(bomb.toString(), gru("inputs.npy"), bomb, "refused before inflating");
    }

    @ParameterizedTest
    @MethodSource("io.ntk4j.io.HostileFiles#modelEdits")
    void modelJsonFieldsOutOfRangeAreRefused(HostileFiles.ModelEdit e) throws IOException {
        Path d = HostileFiles.modelDir(tmp, e);
        CliTest.Result r = CliTest.run("spectrum", "--model", d.toString(), "--top", "2", "--json");
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(d.toString()).contains(e.message());
        assertThat(r.out()).isEmpty();
    }
}
