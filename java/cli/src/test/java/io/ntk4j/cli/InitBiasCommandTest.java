package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitBiasCommandTest {
    @TempDir
    Path tmp;

    private Path model(boolean readout) {
        Path dir = tmp.resolve(readout ? "m" : "bare");
        String[] base = {
            "init-model", "--cell", "rnn_leaky", "--hidden", "8", "--input", "3", "--dt", "0.7", "--out", dir.toString()
        };
        CliTest.Result r = readout
                ? CliTest.run(TrainCommandTest.concat(base, new String[] {"--outputs", "3"}))
                : CliTest.run(base);
        assertThat(r.code()).as(r.err()).isZero();
        return dir;
    }

    @Test
    void plantsTrainsAndReportsEachCount() throws Exception {
        Path m = model(true);
        CliTest.Result r = CliTest.run(
                "init-bias",
                "--model",
                m.toString(),
                "--task",
                "memory_pro",
                "--trials",
                "6",
                "--T",
                "30",
                "--planted",
                "0,2",
                "--steps",
                "3",
                "--top",
                "2",
                "--json",
                "--report",
                tmp.resolve("rep").toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("channels").toString()).isEqualTo("[\"fixation\",\"cos\",\"sin\"]");
        assertThat(j.get("runs")).hasSize(2);
        assertThat(j.get("runs").get(0).get("fixed_point_residuals")).isEmpty();
        JsonNode two = j.get("runs").get(1);
        assertThat(two.get("fixed_point_residuals")).hasSize(2);
        for (JsonNode res : two.get("fixed_point_residuals")) {
            assertThat(res.asDouble()).isLessThan(1e-12);
        }
        for (JsonNode run : j.get("runs")) {
            assertThat(run.get("losses")).hasSize(4);
            JsonNode a = run.get("at_init"), b = run.get("after_training");
            assertThat(a.get("loss").asDouble())
                    .isCloseTo(run.get("losses").get(0).asDouble(), Offset.offset(1e-12));
            assertThat(a.get("rayleigh_target").asDouble()).isBetween(0.0, 1.0);
            for (int c = 0; c < 3; c++) {
                // R^2 = 1 - loss / Var(target): the same target variance before and after training.
                double perInit = (1 - a.get("explained_variance").get(c).asDouble())
                        / a.get("channel_loss").get(c).asDouble();
                double perEnd = (1 - b.get("explained_variance").get(c).asDouble())
                        / b.get("channel_loss").get(c).asDouble();
                assertThat(perEnd).isCloseTo(perInit, Offset.offset(1e-9 * perInit));
                assertThat(b.get("explained_variance").get(c).asDouble()).isLessThanOrEqualTo(1.0);
            }
        }
        // Planting changes W_hh, hence NTK_S at initialization.
        assertThat(two.get("at_init").get("ntk_lambda_max").asDouble())
                .isNotEqualTo(j.get("runs")
                        .get(0)
                        .get("at_init")
                        .get("ntk_lambda_max")
                        .asDouble());
        for (String f : new String[] {
            "init_bias.json",
            "init_bias.csv",
            "losses.png",
            "rayleigh_at_init.svg",
            "learned_vs_rayleigh.png",
            "index.html"
        }) {
            assertThat(tmp.resolve("rep").resolve(f)).exists();
        }
    }

    @Test
    void aModelWithoutReadoutOrANegativeCountIsRefused() {
        CliTest.Result r = CliTest.run(
                "init-bias", "--model", model(false).toString(), "--task", "memory_pro", "--trials", "4", "--T", "12");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("needs a readout").contains("--outputs");
        CliTest.Result neg = CliTest.run(
                "init-bias",
                "--model",
                model(true).toString(),
                "--task",
                "memory_pro",
                "--trials",
                "4",
                "--T",
                "12",
                "--planted",
                "0,-1");
        assertThat(neg.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(neg.err()).contains("--planted");
    }
}
