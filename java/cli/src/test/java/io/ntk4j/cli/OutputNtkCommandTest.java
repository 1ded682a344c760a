package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.TestPaths;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code spectrum --op NTK_y} of recurrent models with a readout, against torch (tests/golden/outputs). */
class OutputNtkCommandTest {
    @ParameterizedTest
    @ValueSource(strings = {"elman_readout", "lstm_readout"})
    void outputNtkSpectrumMatchesTorchBothWays(String c) throws Exception {
        Path dir = TestPaths.golden("outputs/" + c);
        double[] want;
        try (Arena arena = Arena.ofConfined()) {
            want = Npy.read(dir.resolve("eig_NTK_y.npy"), arena).toArray();
        }
        for (String mode : new String[] {"--exact", "--eigenvalues-only"}) {
            CliTest.Result r = CliTest.run(
                    "spectrum",
                    "--model",
                    dir.toString(),
                    "--inputs",
                    dir.resolve("inputs.npy").toString(),
                    "--op",
                    "NTK_y",
                    "--top",
                    "3",
                    mode,
                    "--json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertThat(j.get("op").asText()).isEqualTo("NTK_y");
            for (int i = 0; i < 3; i++) {
                assertThat(Math.abs(j.get("eigenvalues").get(i).asDouble() - want[i]))
                        .as(c + " " + mode + " eigenvalue " + i)
                        .isLessThanOrEqualTo(1e-8 * want[0]);
            }
            if (mode.equals("--exact")) {
                // NTK_y acts on [B, T, O]: its last axis is the readout's, and is named so.
                JsonNode d = j.get("partial_effective_dims");
                assertThat(d.has("output")).as(d.toString()).isTrue();
                assertThat(d.has("hidden")).isFalse();
                assertThat(d.get("output").asDouble())
                        .isBetween(1.0, 2.0 + 1e-9); // the participation ratio of O = 2 outputs
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn_elman"})
    void aRecurrentModelWithoutReadoutIsRefusedByName(String c) {
        Path dir = TestPaths.golden(c);
        CliTest.Result r = CliTest.run(
                "spectrum",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--op",
                "NTK_y",
                "--top",
                "2");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("needs its readout").contains("readout_weight.npy");
    }
}
