package io.ntk4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./ntk4j sweep --spark local[2] equals the local sweep point by point, and resumes like it. */
class SparkSweepTest {
    @TempDir
    Path tmp;

    private static void run(String... args) {
        SparkTests.Cli r = SparkTests.cli(args);
        assertThat(r.code()).as(r.err()).isZero();
    }

    /** points.jsonl by index, without the wall-clock field. */
    private static TreeMap<Integer, JsonNode> points(Path dir) throws Exception {
        ObjectMapper m = new ObjectMapper();
        TreeMap<Integer, JsonNode> out = new TreeMap<>();
        for (String line : Files.readAllLines(dir.resolve("points.jsonl"))) {
            ObjectNode p = (ObjectNode) m.readTree(line);
            p.remove("seconds");
            out.put(p.get("index").asInt(), p);
        }
        return out;
    }

    @Test
    void aSparkSweepEqualsTheLocalOnePointByPointAndResumes() throws Exception {
        Path model = SparkTests.golden("rnn_leaky_dt0p1");
        String[] common = {
            "sweep",
            "--model",
            model.toString(),
            "--param",
            "g",
            "--values",
            "0.5:1.5:5",
            "--inputs",
            model.resolve("inputs.npy").toString(),
            "--op",
            "NTK",
            "--probes",
            "16"
        };
        run(SparkTests.concat(common, "--out", tmp.resolve("local").toString()));
        run(SparkTests.concat(
                common, "--spark", "local[2]", "--out", tmp.resolve("spark").toString()));
        TreeMap<Integer, JsonNode> local = points(tmp.resolve("local")), spark = points(tmp.resolve("spark"));
        assertThat(spark).hasSize(5);
        assertThat(spark).isEqualTo(local); // the same numbers, to the last digit
        // Resume: drop the last finished point; the next --spark run computes only that one again.
        Path log = tmp.resolve("spark/points.jsonl");
        List<String> lines = Files.readAllLines(log);
        Files.write(log, lines.subList(0, lines.size() - 1));
        run(SparkTests.concat(
                common, "--spark", "local[2]", "--out", tmp.resolve("spark").toString()));
        assertThat(points(tmp.resolve("spark"))).isEqualTo(local);
        // points.csv too, but for its last column (seconds).
        assertThat(withoutLastColumn(tmp.resolve("spark/points.csv")))
                .isEqualTo(withoutLastColumn(tmp.resolve("local/points.csv")))
                .hasSize(6);
    }

    private static List<String> withoutLastColumn(Path csv) throws Exception {
        return Files.readAllLines(csv).stream()
                .map(l -> l.substring(0, l.lastIndexOf(',')))
                .toList();
    }
}
