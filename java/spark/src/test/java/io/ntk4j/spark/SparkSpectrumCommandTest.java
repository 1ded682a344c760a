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
        // What is not distributed yet is refused by name, not dropped.
        SparkTests.Cli ranks = SparkTests.cli(
                "spectrum",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--spark",
                "local[2]");
        assertThat(ranks.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(ranks.err()).contains("--eigenvalues-only");
    }
}
