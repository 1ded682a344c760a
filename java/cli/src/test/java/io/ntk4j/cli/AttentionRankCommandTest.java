package io.ntk4j.cli;

import static io.ntk4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.cli.CliTest.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code attention-rank} end to end: its JSON points, its report, a refused block. */
class AttentionRankCommandTest {
    @TempDir
    Path tmp;

    @Test
    void attentionRankWritesItsPointsAndReport() throws Exception {
        Path out = tmp.resolve("attn");
        Result r = run(
                "attention-rank",
                "--batches",
                "2,3",
                "--dims",
                "1,4",
                "--T",
                "5",
                "--d-model",
                "8",
                "--heads",
                "2",
                "--mlp-hidden",
                "6",
                "--json",
                "--report",
                out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        var json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(r.out().strip());
        assertThat(json.get("points")).hasSize(4);
        for (var p : json.get("points")) {
            double rank = p.get("temporal_effective_rank").asDouble();
            assertThat(rank).isBetween(1 - 1e-12, p.get("B").asDouble() * 5);
            assertThat(p.get("input_effective_dim").asDouble())
                    .isBetween(1 - 1e-12, p.get("B").asDouble() * 5);
        }
        for (String f : new String[] {
            "index.html",
            "attention_rank.json",
            "attention_rank.csv",
            "temporal_rank_vs_input_dim.png",
            "temporal_rank_vs_input_dim.svg"
        }) {
            assertThat(out.resolve(f)).exists();
        }
        Result bad = run("attention-rank", "--d-model", "10", "--heads", "4", "--dims", "1");
        assertThat(bad.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("d_model = 10 is not divisible by heads = 4");
    }
}
