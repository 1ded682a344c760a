package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.TestPaths;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The out-of-memory cases of issue 13 through the commands: each refused before allocating with
 * exit 2 and a message saying what needs how much, never an OutOfMemoryError (exit 1) or an
 * internal error (exit 4).
 */
class ResourceLimitsCliTest {
    @TempDir
    Path tmp;

    private static void refused(CliTest.Result r, String... fragments) {
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains(fragments).contains(" GB").doesNotContain("\tat ");
    }

    @Test
    void hugeTensorsTasksAndSearchesAreRefusedBeforeAllocating() {
        Path out = tmp.resolve("big.npy");
        refused(CliTest.run("randn", "--shape", "1000000,1000000", "--out", out.toString()), "[1000000, 1000000]");
        assertThat(out).doesNotExist();
        refused(
                CliTest.run(
                        "task",
                        "--task",
                        "memory_pro",
                        "--trials",
                        "1000000000",
                        "--inputs-out",
                        tmp.resolve("x.npy").toString(),
                        "--targets-out",
                        tmp.resolve("y.npy").toString()),
                "1000000000");
        refused(
                CliTest.run(
                        "fixed-points", "--model", TestPaths.golden("rnn_elman").toString(), "--starts", "1000000000"),
                "1000000000 starts");
    }

    @Test
    void weightsBeyondTheBudgetAreRefused() {
        Path out = tmp.resolve("m");
        refused(
                CliTest.run(
                        "init-model",
                        "--cell",
                        "rnn_leaky",
                        "--hidden",
                        "30000",
                        "--input",
                        "3",
                        "--dt",
                        "0.1",
                        "--max-memory",
                        "1G",
                        "--out",
                        out.toString()),
                "--hidden 30000");
        assertThat(out).doesNotExist();
    }

    @Test
    void aSparseWeightFileDeclaringTerabytesIsRefused() throws IOException {
        // A model directory whose weight_hh.npy says [10^6, 10^6] and is that long (8 TB), but sparse.
        Path m = tmp.resolve("sparse");
        Files.createDirectories(m);
        Path gold = TestPaths.golden("rnn_leaky_dt0p1");
        String json = Files.readString(gold.resolve("model.json"));
        Files.writeString(
                m.resolve("model.json"), json.replaceAll("\"hidden_size\": *\\d+", "\"hidden_size\": 1000000"));
        sparseNpy(m.resolve("weight_ih.npy"), 1_000_000, 2);
        sparseNpy(m.resolve("weight_hh.npy"), 1_000_000, 1_000_000);
        CliTest.Result r = CliTest.run(
                "spectrum",
                "--model",
                m.toString(),
                "--inputs",
                gold.resolve("inputs.npy").toString(),
                "--top",
                "2");
        refused(r, "1000000");
    }

    /** A .npy of zeros [rows, cols] at its full length, as a sparse file (no blocks written). */
    private static void sparseNpy(Path file, long rows, long cols) throws IOException {
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        String header = dict + " ".repeat(118 - dict.length()) + "\n";
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
            f.write(header.getBytes(StandardCharsets.US_ASCII));
            f.setLength(10 + header.length() + 8 * rows * cols);
        }
    }

    @Test
    void theJavaHeapIsCheckedBeforeLargeArrays() {
        long max = Runtime.getRuntime().maxMemory();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> io.ntk4j.Ntk4j.requireHeap(2.0 * max, "the weights of a test"))
                .isInstanceOf(io.ntk4j.ResourceLimitException.class)
                .hasMessageContaining("Java heap")
                .hasMessageContaining("-Xmx");
        io.ntk4j.Ntk4j.requireHeap(1 << 20, "a megabyte"); // what fits is let through
    }
}
