package io.ntk4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** Spark in local mode for the tests, and the repository's golden data. */
final class SparkTests {
    private SparkTests() {}

    /** local[2]: two task threads in this JVM, no UI. */
    static JavaSparkContext context() {
        return new JavaSparkContext(new SparkConf()
                .setMaster("local[2]")
                .setAppName("ntk4j-spark-tests")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
    }

    static Path golden(String name) {
        String root = System.getProperty("ntk4j.root");
        Path base = root != null && !root.isEmpty() && !root.startsWith("$") ? Path.of(root) : Path.of("../..");
        Path dir = base.resolve("tests/golden").resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no golden data at " + dir.toAbsolutePath());
        }
        return dir;
    }
}
