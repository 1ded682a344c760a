package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.TestPaths;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without the ntk4j-spark module on the class path, --spark says what it needs (ntk4j-spark tests the rest). */
class SweepSparkOptionTest {
    @TempDir
    Path tmp;

    @Test
    void sparkWithoutTheModuleIsRefusedByName() {
        Path m = TestPaths.golden("rnn_leaky_dt0p1");
        CliTest.Result r = CliTest.run(
                "sweep",
                "--model",
                m.toString(),
                "--param",
                "g",
                "--values",
                "0.5:1:2",
                "--inputs",
                m.resolve("inputs.npy").toString(),
                "--op",
                "K",
                "--spark",
                "local[2]",
                "--out",
                tmp.resolve("s").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("--spark needs the ntk4j-spark module");
    }
}
