package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Model;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    @TempDir
    Path tmp;

    static Path golden(String c) {
        return TestPaths.root().resolve("tests/golden/training").resolve(c);
    }

    /** {@code ntk4j train} on the golden case in {@code dir} (its inputs and targets) with more arguments. */
    static CliTest.Result train(Path dir, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "train",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--targets",
                dir.resolve("targets.npy").toString()));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    @Test
    void reproducesTheMomentumTrajectoryAndWritesTheModel() throws Exception {
        Path dir = golden("elman_state_whh_momentum");
        Path out = tmp.resolve("trained");
        CliTest.Result r = train(
                dir,
                "--loss",
                "state",
                "--optimizer",
                "sgd_momentum",
                "--lr",
                "0.002",
                "--momentum",
                "0.9",
                "--steps",
                "5",
                "--train",
                "weight_hh",
                "--out",
                out.toString(),
                "--checkpoint-every",
                "2",
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode want =
                new ObjectMapper().readTree(dir.resolve("model.json").toFile()).get("losses");
        assertThat(j.get("losses")).hasSize(6);
        for (int s = 0; s < 6; s++) {
            assertThat(Math.abs(j.get("losses").get(s).asDouble() - want.get(s).asDouble())
                            / want.get(s).asDouble())
                    .isLessThanOrEqualTo(1e-10);
        }
        try (Arena arena = Arena.ofConfined()) {
            double[] got = ModelFiles.load(out).parameter("weight_hh");
            double[] expect =
                    Npy.read(dir.resolve("final_weight_hh.npy"), arena).toArray();
            assertThat(io.ntk4j.training.TrainingGoldenTest.relative(got, expect))
                    .isLessThanOrEqualTo(1e-9);
            // Untrained parameters are unchanged.
            assertThat(ModelFiles.load(out).parameter("weight_ih"))
                    .containsExactly(ModelFiles.load(dir).parameter("weight_ih"));
        }
        assertThat(out.resolve("checkpoints/step_000002/model.json")).exists();
        assertThat(out.resolve("checkpoints/step_000004/weight_hh.npy")).exists();
    }

    @Test
    void trainedWeightsWrittenAsSafetensorsRoundTripBitExactly() throws Exception {
        // The same deterministic training written both ways: the state dict must hold exactly the
        // directory's bits, under PyTorch's names, and load back with no option (its metadata says
        // the cell). Elman (RNNCell names, state loss) and GRU with its readout (Wout.*, mse).
        for (String c : new String[] {"elman_state_whh_momentum", "gru_output_adam"}) {
            Path dir = golden(c);
            String loss = c.contains("output") ? "mse" : "state";
            Path asDir = tmp.resolve(c + "-dir"), asFile = tmp.resolve(c + ".safetensors");
            for (Path out : new Path[] {asDir, asFile}) {
                java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
                        "train",
                        "--model",
                        dir.toString(),
                        "--inputs",
                        dir.resolve("inputs.npy").toString(),
                        "--targets",
                        dir.resolve("targets.npy").toString(),
                        "--loss",
                        loss,
                        "--optimizer",
                        "adam",
                        "--lr",
                        "0.01",
                        "--steps",
                        "3",
                        "--out",
                        out.toString(),
                        "--checkpoint-every",
                        "2"));
                CliTest.Result r = CliTest.run(args.toArray(String[]::new));
                assertThat(r.code()).as(c + ": " + r.err()).isZero();
            }
            Model fromDir = ModelFiles.load(asDir);
            if (loss.equals("mse")) {
                var ro = io.ntk4j.io.ModelDirectory.readReadout(asDir, fromDir.hiddenSize());
                var back = io.ntk4j.io.PyTorchModel.load(asFile, io.ntk4j.io.PyTorchModel.Options.inferred())
                        .readout();
                assertThat(back.weight()).isEqualTo(ro.weight());
                assertThat(back.bias()).isEqualTo(ro.bias());
            }
            io.ntk4j.io.PyTorchModel.Loaded fromFile =
                    io.ntk4j.io.PyTorchModel.load(asFile, io.ntk4j.io.PyTorchModel.Options.inferred());
            assertThat(fromFile.model().cell()).isEqualTo(fromDir.cell());
            assertThat(fromFile.model().dt()).isEqualTo(fromDir.dt());
            assertThat(fromFile.model().assumptions())
                    .as("nothing assumed for a file ntk4j wrote")
                    .isEmpty();
            for (String name : fromDir.parameterNames()) {
                long[] a = java.util.Arrays.stream(fromDir.parameter(name))
                        .mapToLong(Double::doubleToRawLongBits)
                        .toArray();
                long[] b = java.util.Arrays.stream(fromFile.model().parameter(name))
                        .mapToLong(Double::doubleToRawLongBits)
                        .toArray();
                assertThat(b).as(c + " " + name).isEqualTo(a);
            }
            var names = io.ntk4j.io.StateDict.read(asFile).arrays().keySet();
            assertThat(names)
                    .as(c)
                    .allMatch(n -> n.matches("(rnn\\.cell\\.)?(weight|bias)_(ih|hh)|Wout\\.(weight|bias)"));
            assertThat(tmp.resolve(c + "-checkpoints/step_000002.safetensors")).exists();
            try (var files = Files.list(tmp)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
            }
        }
    }

    @Test
    void naturalGradientTrainsAndReportsItsCost() throws Exception {
        Path dir = golden("elman_state_whh_momentum");
        CliTest.Result r = train(
                dir,
                "--loss",
                "state",
                "--optimizer",
                "sgd",
                "--lr",
                "0.5",
                "--steps",
                "4",
                "--natural-gradient",
                "4",
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode losses = j.get("losses");
        assertThat(losses.get(4).asDouble()).isLessThan(losses.get(0).asDouble());
        assertThat(j.get("natural_gradient_lanczos_vectors").asLong()).isPositive();
        assertThat(j.get("seconds_per_step").asDouble()).isPositive();
    }

    @Test
    void divergenceStopsWithThreeAndKeepsTheLastGoodParameters() {
        Path dir = golden("elman_output_sgd");
        Path out = tmp.resolve("diverged");
        CliTest.Result r = train(dir, "--lr", "1e300", "--steps", "5", "--out", out.toString());
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(Main.EXIT_NUMERICAL);
        assertThat(r.err()).contains("diverged");
        assertThat(out.resolve("model.json")).exists();
        Model kept = ModelFiles.load(out);
        for (String name : kept.parameterNames()) {
            for (double v : kept.parameter(name)) {
                assertThat(Double.isFinite(v)).isTrue();
            }
        }
    }

    @Test
    void badTrainingInputsExitWithTwo() {
        Path dir = golden("elman_output_sgd");
        CliTest.Result r = train(dir, "--lr", "-1", "--steps", "1");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("learning rate");
        CliTest.Result s = train(dir, "--lr", "0.1", "--steps", "1", "--loss", "state");
        assertThat(s.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(s.err()).contains("targets");
        assertThat(Files.exists(tmp.resolve("x"))).isFalse();
    }

    @Test
    void aResumedRunFollowsTheSameTrajectoryAsOneNeverInterrupted() throws Exception {
        Path dir = TestPaths.golden("training/gru_output_adam"), a = tmp.resolve("a"), b = tmp.resolve("b");
        String[] common = {"--optimizer", "adam", "--lr", "0.01", "--checkpoint-every", "2", "--json"};
        CliTest.Result whole = train(dir, concat(common, "--steps", "6", "--out", a.toString()));
        assertThat(whole.code()).as(whole.err()).isZero();
        // Stopped after step 4 (its checkpoints are complete), then resumed to 6.
        assertThat(train(dir, concat(common, "--steps", "4", "--out", b.toString()))
                        .code())
                .isZero();
        CliTest.Result resumed = train(dir, concat(common, "--steps", "6", "--out", b.toString(), "--resume"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        ObjectMapper m = new ObjectMapper();
        assertThat(m.readTree(resumed.out()).get("losses"))
                .isEqualTo(m.readTree(whole.out()).get("losses"));
        for (String f :
                new String[] {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "readout_weight", "readout_bias"}) {
            assertThat(Files.readAllBytes(b.resolve(f + ".npy")))
                    .as(f)
                    .isEqualTo(Files.readAllBytes(a.resolve(f + ".npy")));
        }
        try (var s = Files.list(b.resolve("checkpoints"))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("step_000002", "step_000004", "step_000006"); // no staging left behind
        }
        CliTest.Result other =
                train(dir, "--optimizer", "adam", "--lr", "0.02", "--steps", "6", "--out", b.toString(), "--resume");
        assertThat(other.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(other.err()).contains("resume with the same settings");
        CliTest.Result none = train(
                dir, "--lr", "0.01", "--steps", "2", "--out", tmp.resolve("c").toString(), "--resume");
        assertThat(none.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(none.err()).contains("no complete checkpoint");
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
