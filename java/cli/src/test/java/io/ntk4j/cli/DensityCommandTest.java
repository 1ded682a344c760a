package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.TestPaths;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DensityCommandTest {
    @TempDir
    Path tmp;

    private static final Path GRU = TestPaths.golden("gru");

    @Test
    void densityWithTraceWithinItsErrorBarAndAReport() throws Exception {
        Path rep = tmp.resolve("report");
        CliTest.Result r = CliTest.run(
                "density",
                "--model",
                GRU.toString(),
                "--inputs",
                GRU.resolve("inputs.npy").toString(),
                "--probes",
                "20",
                "--steps",
                "30",
                "--points",
                "100",
                "--report",
                rep.toString(),
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        double trace = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (double v : Npy.read(GRU.resolve("eig_NTK.npy"), arena).toArray()) {
                trace += v;
            }
        }
        assertThat(Math.abs(j.get("trace").asDouble() - trace))
                .isLessThanOrEqualTo(4 * j.get("trace_std_error").asDouble());
        assertThat(j.get("grid")).hasSize(100);
        assertThat(j.get("density")).hasSize(100);
        assertThat(j.get("std_error")).hasSize(100);
        assertThat(j.get("applies").asInt()).isEqualTo(30);
        assertThat(rep.resolve("density.png")).exists();
        assertThat(rep.resolve("density.csv")).exists();
    }

    @Test
    void aNonSymmetricOperatorIsRefused() {
        CliTest.Result r = CliTest.run(
                "density",
                "--model",
                GRU.toString(),
                "--inputs",
                GRU.resolve("inputs.npy").toString(),
                "--op",
                "P");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("symmetric");
    }
}
