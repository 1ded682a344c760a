package io.ntk4j.cli;

import static io.ntk4j.cli.TrainCommandTest.concat;
import static io.ntk4j.cli.TrainCommandTest.train;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Model;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import io.ntk4j.io.PyTorchModel;
import io.ntk4j.training.TrainingGoldenTest;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ntk4j train} on attention_mlp: torch.optim's trajectory, its outputs, and its refusals. */
class AttentionTrainCommandTest {
    @TempDir
    Path tmp;

    private static final Path ADAM = TestPaths.golden("blocks/training/attention_mlp_adam");

    @Test
    void reproducesTorchAdamAndWritesAStateDictThatLoadsWithoutOptions() throws Exception {
        Path file = tmp.resolve("trained.safetensors");
        CliTest.Result r =
                train(ADAM, "--optimizer", "adam", "--lr", "0.01", "--steps", "5", "--out", file.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode want =
                new ObjectMapper().readTree(ADAM.resolve("model.json").toFile()).get("losses");
        JsonNode got = new ObjectMapper().readTree(r.out()).get("losses");
        assertThat(got).hasSize(want.size());
        for (int s = 0; s < want.size(); s++) {
            assertThat(Math.abs(got.get(s).asDouble() - want.get(s).asDouble())
                            / want.get(s).asDouble())
                    .as("loss " + s)
                    .isLessThanOrEqualTo(1e-10);
        }
        // The file says its head count and mask: it loads with no --heads, to torch's final weights.
        PyTorchModel.Loaded back = PyTorchModel.load(file, PyTorchModel.Options.inferred());
        Model start = ModelFiles.load(ADAM);
        assertThat(back.model().attentionConfig()).isEqualTo(start.attentionConfig());
        assertThat(back.model().assumptions()).isEmpty();
        try (Arena arena = Arena.ofConfined()) {
            for (String name : start.parameterNames()) {
                double[] expect =
                        Npy.read(ADAM.resolve("final_" + name + ".npy"), arena).toArray();
                assertThat(TrainingGoldenTest.relative(back.model().parameter(name), expect))
                        .as(name)
                        .isLessThanOrEqualTo(1e-10);
            }
        }
        // A head count that contradicts the file is refused, not silently preferred.
        CliTest.Result wrong = CliTest.run(
                "spectrum",
                "--model",
                file.toString(),
                "--heads",
                "1",
                "--inputs",
                ADAM.resolve("inputs.npy").toString(),
                "--op",
                "NTK_y",
                "--top",
                "2",
                "--exact");
        assertThat(wrong.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(wrong.err()).contains("the file says heads 2");
    }

    @Test
    void aResumedAttentionRunFollowsTheUninterruptedOne() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        String[] common = {"--optimizer", "adam", "--lr", "0.01", "--checkpoint-every", "2", "--json"};
        CliTest.Result whole = train(ADAM, concat(common, "--steps", "4", "--out", a.toString()));
        assertThat(whole.code()).as(whole.err()).isZero();
        assertThat(train(ADAM, concat(common, "--steps", "2", "--out", b.toString()))
                        .code())
                .isZero();
        CliTest.Result resumed = train(ADAM, concat(common, "--steps", "4", "--out", b.toString(), "--resume"));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        ObjectMapper m = new ObjectMapper();
        assertThat(m.readTree(resumed.out()).get("losses"))
                .isEqualTo(m.readTree(whole.out()).get("losses"));
        for (String name : ModelFiles.load(ADAM).parameterNames()) {
            assertThat(Files.readAllBytes(b.resolve(name + ".npy")))
                    .as(name)
                    .isEqualTo(Files.readAllBytes(a.resolve(name + ".npy")));
        }
    }

    @Test
    void refusesWhatDoesNotApplyToTheBlock() {
        CliTest.Result state = train(ADAM, "--lr", "0.01", "--steps", "1", "--loss", "state");
        assertThat(state.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(state.err()).contains("attention_mlp trains on its output y with the mse loss");
        CliTest.Result readout = train(ADAM, "--lr", "0.01", "--steps", "1", "--train", "readout");
        assertThat(readout.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(readout.err()).contains("mlp.final_linear.weight");
        CliTest.Result unknown = train(ADAM, "--lr", "0.01", "--steps", "1", "--train", "weight_hh");
        assertThat(unknown.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(unknown.err()).contains("cannot train \"weight_hh\"").contains("attn.q_proj.weight");
        // Targets must be [B, T, d_output]: the block's inputs are [B, T, d_input] (3 by 5 by 2 here).
        CliTest.Result shape = CliTest.run(
                "train",
                "--model",
                ADAM.toString(),
                "--inputs",
                ADAM.resolve("inputs.npy").toString(),
                "--targets",
                ADAM.resolve("pos_embedding.npy").toString(),
                "--lr",
                "0.01",
                "--steps",
                "1");
        assertThat(shape.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(shape.err()).contains("targets [B, T, d_output] must have shape [3, 5, 2]");
        assertThat(Arrays.stream(tmp.toFile().list())).isEmpty();
    }
}
