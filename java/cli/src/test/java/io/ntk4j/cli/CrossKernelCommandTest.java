package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.Npy;
import io.ntk4j.training.TrainingGoldenTest;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code ntk4j cross-kernel} against torch autograd's J(x1) J(x2)^T (tests/golden/outputs). */
class CrossKernelCommandTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"elman_readout", "lstm_readout", "attention_mlp"})
    void outputAndStateCrossKernelsMatchTorch(String c) throws Exception {
        Path dir = TestPaths.golden("outputs/" + c);
        for (boolean state : new boolean[] {false, true}) {
            Path out = tmp.resolve(c + state + ".npy"), rep = tmp.resolve(c + state + "-report");
            CliTest.Result r = state
                    ? CliTest.run(
                            "cross-kernel",
                            "--model",
                            dir.toString(),
                            "--inputs",
                            dir.resolve("inputs.npy").toString(),
                            "--inputs-b",
                            dir.resolve("inputs_b.npy").toString(),
                            "--state",
                            "--out",
                            out.toString(),
                            "--json")
                    : CliTest.run(
                            "cross-kernel",
                            "--model",
                            dir.toString(),
                            "--inputs",
                            dir.resolve("inputs.npy").toString(),
                            "--inputs-b",
                            dir.resolve("inputs_b.npy").toString(),
                            "--out",
                            out.toString(),
                            "--report",
                            rep.toString(),
                            "--json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode j = new ObjectMapper().readTree(r.out());
            try (Arena arena = Arena.ofConfined()) {
                Tensor got = Npy.read(out, arena),
                        want = Npy.read(dir.resolve(state ? "cross_state_dense.npy" : "cross_y_dense.npy"), arena);
                assertThat(got.shape()).containsExactly(want.shape());
                assertThat(TrainingGoldenTest.relative(got.toArray(), want.toArray()))
                        .as(c + (state ? " state" : " outputs"))
                        .isLessThanOrEqualTo(1e-10);
                assertThat(j.get("shape").get(0).asLong()).isEqualTo(want.dim(0));
            }
            if (!state) {
                assertThat(rep.resolve("cross_kernel_blocks.png")).exists();
            }
        }
    }
}
