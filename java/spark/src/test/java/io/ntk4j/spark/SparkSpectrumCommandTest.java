package io.ntk4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** ./ntk4j spectrum --spark local[2]: the sharded top eigenvalues equal spectrum's own. */
class SparkSpectrumCommandTest {
    record Out(int code, String out, String err) {}

    private static Out run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Out(code, out.toString(), err.toString());
    }

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
        Out local = run(common);
        assertThat(local.code()).as(local.err()).isZero();
        Out spark = run(concat(common, "--spark", "local[2]", "--partitions", "3"));
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
        Out ranks = run(
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

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
