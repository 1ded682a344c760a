package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.ActivityModes;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivityModesCommandTest {
    @TempDir
    Path tmp;

    private static final Path LEAKY = TestPaths.golden("rnn_leaky_dt0p1");

    @Test
    void signalSharesAreTheLibrarysAndCheckpointsAreFollowed() throws Exception {
        Path e = tmp.resolve("e.npy"), ck = tmp.resolve("checkpoints");
        double signalShare, updateShare;
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(LEAKY), Npy.read(LEAKY.resolve("inputs.npy"), arena))) {
            Tensor v = Tensor.gaussian(arena, 7, 1.0, s.stateShape());
            Npy.write(e, v);
            ActivityModes.Result g = ActivityModes.of(s, 0, 2, arena);
            signalShare = g.share(v);
            updateShare = g.share(s.ntk().apply(v, arena));
        }
        // Two checkpoints: the model itself, and again (a run that did not move).
        for (String step : new String[] {"step_000001", "step_000002"}) {
            io.ntk4j.io.ModelDirectory.write(ck.resolve(step), ModelFiles.load(LEAKY));
        }
        Files.createDirectories(ck.resolve("step_000003")); // incomplete: skipped
        CliTest.Result r = CliTest.run(
                "activity-modes",
                "--model",
                LEAKY.toString(),
                "--inputs",
                LEAKY.resolve("inputs.npy").toString(),
                "--checkpoints",
                ck.toString(),
                "--modes",
                "2",
                "--top",
                "3",
                "--signal",
                e.toString(),
                "--report",
                tmp.resolve("report").toString(),
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("points")).hasSize(3);
        for (JsonNode p : j.get("points")) {
            assertThat(p.get("signal_share").asDouble()).isCloseTo(signalShare, Offset.offset(1e-12));
            assertThat(p.get("update_share").asDouble()).isCloseTo(updateShare, Offset.offset(1e-10));
            for (JsonNode sh : p.get("ntk_eigenvector_shares")) {
                assertThat(sh.asDouble()).isBetween(0.0, 1.0 + 1e-12);
            }
            assertThat(p.get("ntk_eigenvector_shares").toString())
                    .isEqualTo(
                            j.get("points").get(0).get("ntk_eigenvector_shares").toString());
        }
        assertThat(tmp.resolve("report/shares.png")).exists();
    }

    @Test
    void refusesTooManyModes() {
        CliTest.Result r = CliTest.run(
                "activity-modes",
                "--model",
                LEAKY.toString(),
                "--inputs",
                LEAKY.resolve("inputs.npy").toString(),
                "--modes",
                "1000");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("modes must be in");
    }
}
