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
        return context("local[2]");
    }

    /** A local-mode context on {@code master} (e.g. local[2,4]: tasks may fail and be retried). */
    static JavaSparkContext context(String master) {
        return new JavaSparkContext(new SparkConf()
                .setMaster(master)
                .setAppName("ntk4j-spark-tests")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
    }

    /** What a CLI command printed and returned, run in this JVM. */
    record Cli(int code, String out, String err) {}

    static Cli cli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        int code = io.ntk4j.cli.Main.run(args, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        return new Cli(code, out.toString(), err.toString());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
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
