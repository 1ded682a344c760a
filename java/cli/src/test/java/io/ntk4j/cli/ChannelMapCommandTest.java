package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Model;
import io.ntk4j.dynamics.ChannelMap;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.io.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChannelMapCommandTest {
    @TempDir
    Path tmp;

    private Path model() {
        Path m = tmp.resolve("m");
        CliTest.Result r = CliTest.run(
                "init-model",
                "--cell",
                "rnn_leaky",
                "--hidden",
                "8",
                "--input",
                "2",
                "--dt",
                "0.1",
                "--gain",
                "1.0",
                "--seed",
                "4",
                "--out",
                m.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return m;
    }

    @Test
    void jsonPointsAreTheLibrarysAndTheReportHasItsPlots() throws Exception {
        Path m = model(), rep = tmp.resolve("report");
        CliTest.Result r = CliTest.run(
                "channel-map",
                "--model",
                m.toString(),
                "--gains",
                "0.6:1.0:3",
                "--T",
                "10,30",
                "--trials",
                "2",
                "--input-scale",
                "0.1",
                "--json",
                "--report",
                rep.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("points")).hasSize(6);
        Model base = ModelDirectory.read(m);
        FixedPoints.Options o = new FixedPoints.Options(16, 500, 100, 1e-12, 1.0, 0);
        ChannelMap.Point[] lib =
                ChannelMap.measure(base.withGain(0.8), new int[] {10, 30}, new ChannelMap.Drive(2, 0.1, 1, null), o);
        for (int i = 0; i < 2; i++) {
            JsonNode p = j.get("points").get(2 + i); // gains 0.6, 0.8, 1.0: the second column
            assertThat(p.get("gain").asDouble()).isEqualTo(0.8);
            assertThat(p.get("T").asInt()).isEqualTo(lib[i].steps());
            assertThat(p.get("mu").asDouble()).isEqualTo(lib[i].mu());
            assertThat(p.get("share_of_trace").asDouble()).isEqualTo(lib[i].shareOfTrace());
            assertThat(p.get("channel_eigenvalue").asDouble()).isEqualTo(lib[i].channelEigenvalue());
            assertThat(p.get("cosine_with_top_eigenvector").asDouble()).isEqualTo(lib[i].cosineWithTopEigenvector());
            assertThat(p.get("effective_rank").asDouble()).isEqualTo(lib[i].effectiveRank());
            assertThat(p.get("normal_form_cosine").asDouble()).isEqualTo(lib[i].normalFormCosine());
        }
        // Closer to the crossing (larger gain), the channel carries more at the long horizon.
        assertThat(j.get("points").get(5).get("channel_eigenvalue").asDouble())
                .isGreaterThan(j.get("points").get(1).get("channel_eigenvalue").asDouble());
        for (String f : new String[] {
            "index.html",
            "channel_map.json",
            "channel_map.csv",
            "share_heat_map.png",
            "channel_eigenvalue_vs_mu.svg",
            "effective_rank_vs_mu.png",
            "share_vs_mu.png",
            "cosine_vs_mu.png"
        }) {
            assertThat(rep.resolve(f)).exists();
        }
        assertThat(Files.readAllLines(rep.resolve("channel_map.csv"))).hasSize(7);
    }

    @Test
    void badRequestsAreRefusedByNameBeforeAnyWork() throws Exception {
        Path m = model();
        assertThat(CliTest.run("channel-map", "--gains", "0.5:1:2").err()).contains("exactly one of --model");
        assertThat(CliTest.run("channel-map", "--model", m.toString()).err()).contains("--gains");
        CliTest.Result bad = CliTest.run("channel-map", "--model", m.toString(), "--gains", "0.5:1:2", "--T", "10,0");
        assertThat(bad.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("T must be >= 1");
        Path full = Files.createDirectories(tmp.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        CliTest.Result taken =
                CliTest.run("channel-map", "--model", m.toString(), "--gains", "0.5:1:2", "--report", full.toString());
        assertThat(taken.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(taken.err()).contains("not empty");
        assertThat(Files.readString(full.resolve("keep.txt"))).isEqualTo("mine");
        CliTest.Result both = CliTest.run("channel-map", "--checkpoints", tmp.toString(), "--gains", "0.5:1:2");
        assertThat(both.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    }
}
