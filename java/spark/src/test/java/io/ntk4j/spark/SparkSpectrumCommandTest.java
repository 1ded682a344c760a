package io.ntk4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.cli.Main;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** ./ntk4j spectrum --spark local[2]: the sharded top eigenvalues equal spectrum's own. */
class SparkSpectrumCommandTest {
    @Test
    void shardedEigenvaluesEqualTheSingleMachineOnes() throws Exception {
        Path dir = SparkTests.golden("gru");
        String[] common = {
            "spectrum",
            "--model",
            dir.toString(),
            "--inputs",
            dir.resolve("inputs.npy").toString(),
            "--op",
            "NTK",
            "--top",
            "8",
            "--tol",
            "1e-12",
            "--eigenvalues-only",
            "--json"
        };
        SparkTests.Cli local = SparkTests.cli(common);
        assertThat(local.code()).as(local.err()).isZero();
        SparkTests.Cli spark = SparkTests.cli(SparkTests.concat(common, "--spark", "local[2]", "--partitions", "3"));
        assertThat(spark.code()).as(spark.err()).isZero();
        JsonNode a = new ObjectMapper().readTree(local.out()), b = new ObjectMapper().readTree(spark.out());
        assertThat(b.get("partitions").asInt()).isEqualTo(3);
        assertThat(b.get("bytes_moved").asLong()).isPositive();
        double top = a.get("eigenvalues").get(0).asDouble();
        for (int i = 0; i < 8; i++) {
            assertThat(Math.abs(b.get("eigenvalues").get(i).asDouble()
                            - a.get("eigenvalues").get(i).asDouble()))
                    .as("eigenvalue " + i)
                    .isLessThanOrEqualTo(1e-10 * top);
        }
        // Without --eigenvalues-only: the effective rank too, from the parameter-space Gram, equal to the
        // same estimator on one session (DistributedSessionTest) and near spectrum's own estimate.
        SparkTests.Cli ranks = SparkTests.cli(
                "spectrum",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--top",
                "3",
                "--spark",
                "local[2]",
                "--json");
        assertThat(ranks.code()).as(ranks.err()).isZero();
        JsonNode c = new ObjectMapper().readTree(ranks.out());
        SparkTests.Cli own = SparkTests.cli(
                "spectrum",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--top",
                "3",
                "--json");
        JsonNode d = new ObjectMapper().readTree(own.out());
        double pr = c.get("effective_rank").asDouble(),
                se = c.get("effective_rank_std_error").asDouble();
        double prOwn = d.get("effective_rank").asDouble(),
                seOwn = d.get("effective_rank_std_error").asDouble();
        assertThat(Math.abs(pr - prOwn)).isLessThanOrEqualTo(3 * Math.hypot(se, seOwn) + 1e-9 * prOwn);
        assertThat(c.get("partial_effective_dims").asText()).isEqualTo("not distributed yet");
        // Only NTK_S is sharded: another operator is refused by name (exit 2), not computed otherwise.
        SparkTests.Cli k = SparkTests.cli(
                "spectrum",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--op",
                "K",
                "--spark",
                "local[2]");
        assertThat(k.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(k.err()).contains("--spark shards NTK_S only");
    }
}
