package io.ntk4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.cli.Main;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** ./ntk4j spectrum --spark local[2]: the sharded eigenvalues, ranks and partial dimensions equal spectrum's own. */
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
        // Without --eigenvalues-only: spectrum's own effective ranks and partial dimensions, from the
        // same estimators on the sharded NTK_S: the same numbers as without --spark.
        String[] ranked = {
            "spectrum",
            "--model",
            dir.toString(),
            "--inputs",
            dir.resolve("inputs.npy").toString(),
            "--top",
            "3",
            "--tol",
            "1e-12",
            "--seed",
            "5",
            "--json"
        };
        JsonNode own = new ObjectMapper().readTree(SparkTests.cli(ranked).out());
        SparkTests.Cli sharded = SparkTests.cli(SparkTests.concat(ranked, "--spark", "local[2]"));
        assertThat(sharded.code()).as(sharded.err()).isZero();
        JsonNode c = new ObjectMapper().readTree(sharded.out());
        for (String f : new String[] {"effective_rank", "effective_rank_kpflow", "rank_samples", "deflation"}) {
            assertThat(c.get(f).asDouble())
                    .as(f)
                    .isCloseTo(own.get(f).asDouble(), within(1e-10 * own.get(f).asDouble()));
        }
        for (String dims : new String[] {"partial_effective_dims", "partial_effective_dims_kpflow"}) {
            for (String axis : new String[] {"batch", "time", "hidden"}) {
                double want = own.get(dims).get(axis).asDouble();
                assertThat(c.get(dims).get(axis).asDouble())
                        .as(dims + " " + axis)
                        .isCloseTo(want, within(1e-10 * want));
            }
        }
        // --spark-probes N: Hutch++ in parameter space instead, near spectrum's estimate, no partial dimensions.
        SparkTests.Cli hutch = SparkTests.cli(SparkTests.concat(ranked, "--spark", "local[2]", "--spark-probes", "64"));
        assertThat(hutch.code()).as(hutch.err()).isZero();
        JsonNode h = new ObjectMapper().readTree(hutch.out());
        double pr = h.get("effective_rank").asDouble(),
                se = h.get("effective_rank_std_error").asDouble();
        double prOwn = own.get("effective_rank").asDouble(),
                seOwn = own.get("effective_rank_std_error").asDouble();
        assertThat(Math.abs(pr - prOwn)).isLessThanOrEqualTo(3 * Math.hypot(se, seOwn) + 1e-9 * prOwn);
        assertThat(h.get("partial_effective_dims").isTextual()).isTrue();
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
