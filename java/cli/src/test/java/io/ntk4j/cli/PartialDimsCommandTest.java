package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Session;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.EffectiveDims;
import io.ntk4j.spectral.PartialEffectiveDims;
import io.ntk4j.spectral.Reduction;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartialDimsCommandTest {
    @TempDir
    Path tmp;

    private static final Path GRU = TestPaths.golden("gru");

    @Test
    void reportsEveryAxisWithModesAndAReport() throws Exception {
        Path rep = tmp.resolve("report"), modes = tmp.resolve("modes");
        CliTest.Result r = CliTest.run(
                "partial-dims",
                "--model",
                GRU.toString(),
                "--inputs",
                GRU.resolve("inputs.npy").toString(),
                "--reduction",
                "kpflow",
                "--modes-out",
                modes.toString(),
                "--report",
                rep.toString(),
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("grammian").asBoolean()).isTrue();
        PartialEffectiveDims want;
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(GRU), Npy.read(GRU.resolve("inputs.npy"), arena))) {
            want = EffectiveDims.partial(
                    s.ntk(), s.batch(), s.steps(), s.hiddenSize(), Reduction.KPFLOW, true, 0, 0, 1);
        }
        double[] single = {
            want.batch().value(), want.time().value(), want.hidden().value()
        };
        String[] names = {"batch", "time", "hidden", "batch*time"};
        for (int i = 0; i < 4; i++) {
            JsonNode a = j.get("axes").get(i);
            assertThat(a.get("axis").asText()).isEqualTo(names[i]);
            if (i < 3) {
                assertThat(a.get("effective_dim").asDouble())
                        .isCloseTo(single[i], org.assertj.core.data.Offset.offset(1e-10 * single[i]));
            }
        }
        assertThat(j.get("axes").get(3).get("length").asInt()).isEqualTo(18);
        try (Arena arena = Arena.ofConfined()) {
            assertThat(Npy.read(modes.resolve("time_modes.npy"), arena).shape()).containsExactly(3, 6);
            assertThat(Npy.read(modes.resolve("batch_time_modes.npy"), arena).shape())
                    .containsExactly(3, 18);
        }
        assertThat(rep.resolve("time_modes.png")).exists();
        assertThat(rep.resolve("partial_dims.csv")).exists();
    }

    @Test
    void badAxesAndReductionsAreRefused() {
        CliTest.Result r = CliTest.run(
                "partial-dims",
                "--model",
                GRU.toString(),
                "--inputs",
                GRU.resolve("inputs.npy").toString(),
                "--axes",
                "time,depth");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("unknown axis \"depth\"");
        CliTest.Result p = CliTest.run(
                "partial-dims",
                "--model",
                GRU.toString(),
                "--inputs",
                GRU.resolve("inputs.npy").toString(),
                "--op",
                "P",
                "--no-grammian");
        assertThat(p.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(p.err()).contains("not symmetric");
    }
}
