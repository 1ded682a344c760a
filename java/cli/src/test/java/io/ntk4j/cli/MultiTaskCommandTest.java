package io.ntk4j.cli;

import static io.ntk4j.cli.TrainCommandTest.concat;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import io.ntk4j.Tensor;
import io.ntk4j.experiments.MultiTaskAlignment;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiTaskCommandTest {
    @TempDir
    Path tmp;

    @Test
    void measuresTheModelAndEveryCheckpointOfATrainingRun() throws Exception {
        // A leaky model with 4 inputs (fixation, cos, sin, rule) and a 3-output readout.
        Path dir = tmp.resolve("m0");
        CliTest.Result init = CliTest.run(
                "init-model",
                "--cell",
                "rnn_leaky",
                "--hidden",
                "6",
                "--input",
                "4",
                "--dt",
                "0.2",
                "--out",
                dir.toString());
        assertThat(init.code()).as(init.err()).isZero();
        Model base = ModelFiles.load(dir);
        double[] w = new double[3 * 6];
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.sin(i + 1.0) / 3;
        }
        ModelDirectory.write(dir, base, new Readout(3, 6, w, new double[3]));
        String[] task = {"--task", "multi_memory_pro", "--trials", "8", "--T", "24"};
        CliTest.Result train = CliTest.run(concat(
                new String[] {
                    "train",
                    "--model",
                    dir.toString(),
                    "--lr",
                    "0.02",
                    "--optimizer",
                    "adam",
                    "--steps",
                    "4",
                    "--checkpoint-every",
                    "2",
                    "--out",
                    tmp.resolve("run").toString()
                },
                task));
        assertThat(train.code()).as(train.err()).isZero();
        CliTest.Result r = CliTest.run(concat(
                new String[] {
                    "multitask",
                    "--model",
                    dir.toString(),
                    "--checkpoints",
                    tmp.resolve("run/checkpoints").toString(),
                    "--top",
                    "3",
                    "--json",
                    "--report",
                    tmp.resolve("report").toString()
                },
                task));
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("points")).hasSize(3);
        for (JsonNode p : j.get("points")) {
            assertThat(p.get("update_cosine").asDouble()).isBetween(-1.0, 1.0);
            assertThat(p.get("cross_talk").get(0).asDouble()).isBetween(0.0, 1.0);
            assertThat(p.get("update_0_in_top_modes")).hasSize(3);
        }
        // The losses decrease along the run (Adam on this small problem), checkpoint by checkpoint.
        assertThat(j.get("points").get(2).get("loss").asDouble())
                .isLessThan(j.get("points").get(0).get("loss").asDouble());
        assertThat(tmp.resolve("report/update_alignment.png")).exists();
    }

    @Test
    void writesTheSubTaskOfEachTrialAndRefusesAnEmptyCheckpointFolder() throws Exception {
        Path x = tmp.resolve("x.npy"), y = tmp.resolve("y.npy"), ids = tmp.resolve("ids.npy");
        CliTest.Result r = CliTest.run(
                "task",
                "--task",
                "multi_memory_pro",
                "--trials",
                "10",
                "--T",
                "24",
                "--inputs-out",
                x.toString(),
                "--targets-out",
                y.toString(),
                "--task-ids-out",
                ids.toString());
        assertThat(r.code()).as(r.err()).isZero();
        try (Arena arena = Arena.ofConfined()) {
            Tensor in = Npy.read(x, arena), id = Npy.read(ids, arena);
            assertThat(id.shape()).containsExactly(10L);
            int[] fromRule = MultiTaskAlignment.tasksFromRule(in, 3);
            int ones = 0;
            for (int b = 0; b < 10; b++) {
                assertThat(id.get(b)).isEqualTo(fromRule[b]);
                ones += fromRule[b];
            }
            assertThat(ones).isEqualTo(5); // half of each sub-task
        }
        // A task without sub-tasks has no ids to write; nothing is written.
        Path other = tmp.resolve("other.npy");
        CliTest.Result single = CliTest.run(
                "task",
                "--task",
                "memory_pro",
                "--inputs-out",
                other.toString(),
                "--targets-out",
                tmp.resolve("oy.npy").toString(),
                "--task-ids-out",
                tmp.resolve("oids.npy").toString());
        assertThat(single.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(single.err()).contains("--task-ids-out").contains("multi_memory_pro");
        assertThat(other).doesNotExist();

        Path model = tmp.resolve("m");
        assertThat(CliTest.run(
                                "init-model",
                                "--cell",
                                "rnn_leaky",
                                "--hidden",
                                "4",
                                "--input",
                                "4",
                                "--out",
                                model.toString())
                        .code())
                .isZero();
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        CliTest.Result none = CliTest.run(
                "multitask",
                "--model",
                model.toString(),
                "--checkpoints",
                empty.toString(),
                "--inputs",
                x.toString(),
                "--targets",
                y.toString());
        assertThat(none.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(none.err()).contains(empty.toString()).contains("no complete checkpoint");
    }
}
