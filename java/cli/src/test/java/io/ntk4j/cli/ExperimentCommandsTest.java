package io.ntk4j.cli;

import static io.ntk4j.cli.CliTest.golden;
import static io.ntk4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.TestPaths;
import io.ntk4j.cli.CliTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The experiment commands end to end: bifurcation, spectrum of a state dict, tasks, sweep, fixed points. */
class ExperimentCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void bifurcationPresetsAreOverlaidByTheConfigAndUnknownOnesRefused() throws Exception {
        Path config = tmp.resolve("tiny.json");
        Files.writeString(
                config,
                "{\"hidden\": 6, \"batch\": 4, \"steps\": 12, \"pulseSteps\": 3, \"trainSteps\": 4,"
                        + " \"recordEvery\": 2, \"ngRank\": 2, \"seeds\": [1]}");
        for (String preset : new String[] {"flip", "neimark-sacker", "saddle-node"}) {
            Path out = tmp.resolve("preset-" + preset);
            Result r = run(
                    "bifurcation",
                    "--preset",
                    preset,
                    "--config",
                    config.toString(),
                    "--out",
                    out.toString(),
                    "--json");
            assertThat(r.code()).as(preset + ": " + r.err()).isZero();
            var saved = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(out.resolve("config.json").toFile());
            // The preset's crossing and settings, the file's sizes.
            assertThat(saved.get("crossing").asText()).isEqualTo(preset.replace('-', '_'));
            assertThat(saved.get("hidden").asInt()).isEqualTo(6);
            assertThat(saved.get("cell").asText())
                    .isEqualTo(preset.equals("neimark-sacker") ? "rnn_leaky" : "rnn_elman");
        }
        Result bad = run("bifurcation", "--preset", "transcritical", "--json");
        assertThat(bad.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("unknown preset \"transcritical\"");
    }

    @Test
    void bifurcationWritesItsReportAndJsonSummary() throws Exception {
        Path config = tmp.resolve("small.json");
        java.nio.file.Files.writeString(
                config,
                "{\"hidden\": 6, \"batch\": 4, \"steps\": 12, \"pulseSteps\": 3,"
                        + " \"lr\": 1e-3, \"trainSteps\": 8, \"recordEvery\": 2, \"ngRank\": 2, \"seeds\": [1, 2]}");
        Path out = tmp.resolve("report");
        Result r = run("bifurcation", "--config", config.toString(), "--out", out.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().strip().split("\n");
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines[lines.length - 1]);
        for (String key : new String[] {
            "crossing_step",
            "effective_rank",
            "collapse_ratio",
            "channel_share_at_crossing",
            "normal_form_cosine",
            "sgd",
            "lowrank_ng",
            "seeds"
        }) {
            assertThat(json.has(key)).as(key).isTrue();
        }
        for (String key : new String[] {"final_loss", "max_loss_spike", "steps_to_teacher_loss", "seconds_per_step"}) {
            assertThat(json.get("sgd").has(key)).as(key).isTrue();
            assertThat(json.get("lowrank_ng").has(key)).as(key).isTrue();
        }
        assertThat(json.get("seeds")).hasSize(2);
        for (String f : new String[] {
            "summary.json",
            "config.json",
            "records_seed1.csv",
            "losses_seed2.csv",
            "effective_rank.png",
            "mu.png",
            "loss.png",
            "students/seed1_sgd/model.json",
            "students/seed2_lowrank_ng/weight_hh.npy",
            "index.html",
            "critical_eigenvalues.png",
            "loss.svg"
        }) {
            assertThat(out.resolve(f)).exists();
        }
        java.awt.image.BufferedImage png =
                javax.imageio.ImageIO.read(out.resolve("loss.png").toFile());
        assertThat(png.getWidth()).isEqualTo(900);
        assertThat(png.getHeight()).isEqualTo(520);
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < png.getHeight(); y += 5) {
            for (int x = 0; x < png.getWidth(); x += 5) {
                colours.add(png.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours in the plot").isGreaterThan(4);
        // records: a header and one row per recorded step (0, 2, 4, 6, 8)
        assertThat(java.nio.file.Files.readAllLines(out.resolve("records_seed1.csv")))
                .hasSize(6);
    }

    @Test
    void badBifurcationConfigsAreRefusedWithTheirReason() throws Exception {
        Path unknown = tmp.resolve("unknown.json");
        java.nio.file.Files.writeString(unknown, "{\"gain\": 2}");
        Result r = run(
                "bifurcation",
                "--config",
                unknown.toString(),
                "--out",
                tmp.resolve("o1").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("unknown key \"gain\"");
        java.nio.file.Files.writeString(unknown, "{\"cell\": \"lstm\"}");
        r = run(
                "bifurcation",
                "--config",
                unknown.toString(),
                "--out",
                tmp.resolve("o1").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("cell \"lstm\" is not supported");
        Path negative = tmp.resolve("negative.json");
        java.nio.file.Files.writeString(negative, "{\"lr\": -0.1}");
        r = run(
                "bifurcation",
                "--config",
                negative.toString(),
                "--out",
                tmp.resolve("o2").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("learning rate must be a finite number > 0");
        java.nio.file.Files.writeString(negative, "{\"hidden\": -4}");
        r = run(
                "bifurcation",
                "--config",
                negative.toString(),
                "--out",
                tmp.resolve("o3").toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("hidden must be >= 2");
        assertThat(tmp.resolve("o1")).doesNotExist();
        assertThat(tmp.resolve("o3")).doesNotExist();
    }

    @Test
    void spectrumTakesAPyTorchStateDictAndRefusesTwoLayers() throws Exception {
        Path dir = TestPaths.root().resolve("tests/golden/pytorch_export");
        String rnncell = dir.resolve("rnncell_safetensors/model.safetensors").toString();
        String inputs = dir.resolve("rnncell_safetensors/inputs.npy").toString();
        // The weights do not tell tanh from ReLU: refused until the user says which.
        Result unsaid = run("spectrum", "--model", rnncell, "--inputs", inputs, "--op", "NTK", "--top", "3", "--exact");
        assertThat(unsaid.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(unsaid.err()).contains("does not store its nonlinearity").contains("--nonlinearity tanh");
        Result linear =
                run("spectrum", "--model", rnncell, "--nonlinearity", "linear", "--inputs", inputs, "--op", "NTK");
        assertThat(linear.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(linear.err()).contains("has no linear variant").contains("would be wrong");
        Result relu = run(
                "spectrum", "--model", rnncell, "--nonlinearity", "relu", "--inputs", inputs, "--op", "NTK", "--json");
        assertThat(relu.code()).as(relu.err()).isZero();
        assertThat(relu.out()).contains("\"eigenvalues\"");
        Result r = run(
                "spectrum",
                "--model",
                rnncell,
                "--nonlinearity",
                "tanh",
                "--inputs",
                inputs,
                "--op",
                "NTK",
                "--top",
                "3",
                "--exact",
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("float32 weights upcast to float64");
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        var manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(dir.resolve("manifest.json").toFile());
        for (int i = 0; i < 3; i++) {
            double want = manifest.get("rnncell_safetensors")
                    .get("eig_NTK_top5")
                    .get(i)
                    .asDouble();
            assertThat(json.get("eigenvalues").get(i).asDouble())
                    .isCloseTo(want, org.assertj.core.api.Assertions.within(1e-9 * want));
        }
        Result bad = run(
                "spectrum",
                "--model",
                dir.resolve("refuse_rnn_bidirectional/model.safetensors").toString(),
                "--inputs",
                dir.resolve("rnncell_safetensors/inputs.npy").toString(),
                "--op",
                "NTK");
        assertThat(bad.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("bidirectional").contains("weight_hh_l0_reverse");
        Result dirWithCell = run(
                "spectrum",
                "--model",
                golden("gru", ""),
                "--cell",
                "gru",
                "--inputs",
                golden("gru", "inputs.npy"),
                "--op",
                "NTK");
        assertThat(dirWithCell.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(dirWithCell.err())
                .contains("--cell, --dt, --nonlinearity, --heads and --causal apply to state-dict files only");
        // A torch.save pickle: the export that makes it readable, not "directory does not exist".
        Path pt = tmp.resolve("model.pt");
        Files.write(pt, new byte[] {(byte) 0x80, 2, 'c'});
        Result pickle = run("spectrum", "--model", pt.toString(), "--inputs", inputs, "--op", "NTK");
        assertThat(pickle.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(pickle.err())
                .contains("a PyTorch pickle (.pt): export it as .safetensors or .npz")
                .contains("save_file(model.state_dict()")
                .doesNotContain("does not exist");
    }

    @Test
    void tasksAreGeneratedForCommandsAndAsFiles() throws Exception {
        Path x = tmp.resolve("x.npy"), y = tmp.resolve("y.npy");
        Result r = run(
                "task",
                "--task",
                "memory_pro",
                "--trials",
                "6",
                "--T",
                "30",
                "--inputs-out",
                x.toString(),
                "--targets-out",
                y.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(io.ntk4j.io.Npy.header(x).shape()).containsExactly(6, 30, 3);
        assertThat(io.ntk4j.io.Npy.header(y).shape()).containsExactly(6, 30, 3);
        Path model = tmp.resolve("m");
        assertThat(run(
                                "init-model",
                                "--cell",
                                "rnn_elman",
                                "--hidden",
                                "5",
                                "--input",
                                "3",
                                "--seed",
                                "2",
                                "--out",
                                model.toString())
                        .code())
                .isZero();
        Result viaTask = run(
                "spectrum",
                "--model",
                model.toString(),
                "--task",
                "memory_pro",
                "--trials",
                "6",
                "--T",
                "30",
                "--top",
                "2",
                "--exact",
                "--json");
        Result viaFile = run(
                "spectrum", "--model", model.toString(), "--inputs", x.toString(), "--top", "2", "--exact", "--json");
        assertThat(viaTask.code()).as(viaTask.err()).isZero();
        var a = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(viaTask.out())
                .get("eigenvalues");
        var b = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(viaFile.out())
                .get("eigenvalues");
        assertThat(a).isEqualTo(b); // the same seed gives the same data
        Result both = run("spectrum", "--model", model.toString(), "--inputs", x.toString(), "--task", "flip_flop");
        assertThat(both.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(both.err()).contains("exactly one of --inputs");
        Result unknown = run("task", "--task", "nback", "--inputs-out", x.toString(), "--targets-out", y.toString());
        assertThat(unknown.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(unknown.err()).contains("unknown task \"nback\"");
    }

    @Test
    void sweepFollowsCheckpointsInStepOrderAndRefusesAForeignOutFolder() throws Exception {
        Path ck = tmp.resolve("ck");
        for (String step : new String[] {"step_10", "step_2", "step_1"}) {
            assertThat(run(
                                    "init-model",
                                    "--cell",
                                    "rnn_elman",
                                    "--hidden",
                                    "4",
                                    "--input",
                                    "2",
                                    "--seed",
                                    step.substring(5),
                                    "--out",
                                    ck.resolve(step).toString())
                            .code())
                    .isZero();
        }
        Path x = tmp.resolve("x.npy");
        assertThat(run("randn", "--shape", "2,5,2", "--seed", "1", "--out", x.toString())
                        .code())
                .isZero();
        Result r = run(
                "sweep",
                "--checkpoints",
                ck.toString(),
                "--inputs",
                x.toString(),
                "--op",
                "NTK",
                "--exact",
                "--out",
                tmp.resolve("s").toString(),
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        var pts = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(r.out())
                .get("points");
        assertThat(pts).hasSize(3);
        assertThat(pts.get(0).get("label").asText()).isEqualTo("step_1");
        assertThat(pts.get(1).get("label").asText()).isEqualTo("step_2");
        assertThat(pts.get(2).get("parameter").asDouble()).isEqualTo(10.0);
        assertThat(pts.get(0).has("kronecker_prediction")).isFalse(); // only K of rnn_leaky has one
        Result other = run(
                "sweep",
                "--checkpoints",
                ck.toString(),
                "--inputs",
                x.toString(),
                "--op",
                "K",
                "--exact",
                "--out",
                tmp.resolve("s").toString());
        assertThat(other.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(other.err()).contains("holds a different sweep");
    }

    @Test
    void fixedPointsCommandFindsThePitchforkAndTheChannel() throws Exception {
        // h' = tanh(w h + 0.5 x) with w = 0.9: the origin, lambda = 0.9; W_hh -> g W_hh crosses at g = 1/0.9.
        java.util.Map<String, double[]> p = new java.util.LinkedHashMap<>();
        p.put("weight_ih", new double[] {0.5});
        p.put("weight_hh", new double[] {0.9});
        Path dir = tmp.resolve("scalar");
        io.ntk4j.io.ModelDirectory.write(dir, io.ntk4j.Model.of(io.ntk4j.CellKind.RNN_ELMAN, 1, 1, 1.0, false, p));
        Path x = tmp.resolve("x.npy");
        assertThat(run("randn", "--shape", "2,40,1", "--seed", "3", "--out", x.toString())
                        .code())
                .isZero();
        Result r = run(
                "fixed-points",
                "--model",
                dir.toString(),
                "--gains",
                "0.95:1.25:4",
                "--channel",
                "--inputs",
                x.toString(),
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertThat(j.get("fixed_points")).hasSize(1);
        assertThat(j.get("fixed_points").get(0).get("lambda_c_re").asDouble())
                .isCloseTo(0.9, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(j.get("crossings")).hasSize(1);
        assertThat(j.get("crossings").get(0).get("kind").asText()).isEqualTo("pitchfork");
        assertThat(j.get("crossings").get(0).get("between").asDouble()).isLessThan(1 / 0.9);
        assertThat(j.get("crossings").get(0).get("and").asDouble()).isGreaterThan(1 / 0.9);
        var ch = j.get("channel");
        assertThat(ch.get("mu").asDouble()).isCloseTo(-0.1, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(ch.get("share_of_trace").asDouble()).isBetween(0.0, 1.0);
        Result bad = run("fixed-points", "--model", dir.toString(), "--input", "1,2");
        assertThat(bad.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("--input has 2 values but the model has N = 1");
    }
}
