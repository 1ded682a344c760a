package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.experiments.MultiTaskAlignment;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j multitask}: how the sub-tasks' GD updates align ({@link MultiTaskAlignment}). */
@Command(
        name = "multitask",
        header = "How the gradient-descent updates of two sub-tasks align, along training (KPFlow's multi-task claim).",
        mixinStandardHelpOptions = true,
        description = "On a mixed task (e.g. --task multi_memory_pro --T 120), with the mse loss on the readout: the"
                + " state error e_k of each sub-task's trials, its update u_k = NTK_S e_k, cos(u_0, u_1), each"
                + " update's share on the other sub-task's trials, and its share in NTK_S's top eigenvectors; for the"
                + " model and, with --checkpoints, every checkpoint of a training run. The sub-task of a trial is"
                + " read from the rule input channel.")
final class MultiTaskCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(names = "--targets", paramLabel = "Y.npy", description = "[B, T, O] (not with --task)")
    Path targets;

    @Option(
            names = "--checkpoints",
            paramLabel = "DIR",
            description = "also every checkpoint directory step_* in DIR (train --checkpoint-every), in order")
    Path checkpoints;

    @Option(
            names = "--rule-channel",
            defaultValue = "3",
            description = "input channel of the rule (default ${DEFAULT-VALUE}, kpflow's mix)")
    int ruleChannel;

    @Option(names = "--top", defaultValue = "5", description = "top eigenvectors of NTK_S (default ${DEFAULT-VALUE})")
    int top;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        List<TrainingCheckpoints.Point> models = TrainingCheckpoints.along(
                modelOption.model.toString(),
                modelOption.load(spec.commandLine().getErr()),
                checkpoints);
        ObjectNode root = new ObjectMapper().createObjectNode();
        ArrayNode points = root.putArray("points");
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = data.inputs(arena), y = data.targets(targets, arena);
            int[] task = MultiTaskAlignment.tasksFromRule(x, ruleChannel);
            for (int i = 0; i < models.size(); i++) {
                TrainingCheckpoints.Point point = models.get(i);
                if (point.readout() == null) {
                    throw new InvalidInputException(point.label() + ": the mse loss needs a readout "
                            + "(readout_weight.npy, readout_bias.npy)");
                }
                try (Session s = Session.open(point.model(), x)) {
                    MultiTaskAlignment.Result r = MultiTaskAlignment.measure(s, point.readout(), y, task, top);
                    ObjectNode p = points.addObject();
                    p.put("model", point.label());
                    p.put("loss", r.loss());
                    p.putArray("task_loss").add(r.taskLoss()[0]).add(r.taskLoss()[1]);
                    p.put("update_cosine", r.updateCosine());
                    p.putArray("update_norms").add(r.updateNorms()[0]).add(r.updateNorms()[1]);
                    p.putArray("cross_talk").add(r.crossTalk()[0]).add(r.crossTalk()[1]);
                    for (int k = 0; k < 2; k++) {
                        ArrayNode a = p.putArray("update_" + k + "_in_top_modes");
                        for (double v : r.topShares()[k]) {
                            a.add(v);
                        }
                    }
                }
            }
        }
        root.put("seconds", (System.nanoTime() - t0) / 1e9);
        if (output.report != null) {
            write(output.report, root);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(root.toString());
        } else {
            out.printf(
                    "  %-24s %-12s %-22s %-20s %s%n", "model", "loss", "cos(u_0, u_1)", "cross-talk", "top-mode share");
            for (var p : points) {
                out.printf(
                        Locale.ROOT,
                        "  %-24s %-12.4e %-22.4f %.3f, %.3f         %.3f, %.3f%n",
                        p.get("model").asText(),
                        p.get("loss").asDouble(),
                        p.get("update_cosine").asDouble(),
                        p.get("cross_talk").get(0).asDouble(),
                        p.get("cross_talk").get(1).asDouble(),
                        last(p.get("update_0_in_top_modes")),
                        last(p.get("update_1_in_top_modes")));
            }
        }
        return Main.EXIT_OK;
    }

    private static double last(com.fasterxml.jackson.databind.JsonNode a) {
        return a.get(a.size() - 1).asDouble();
    }

    private void write(Path dir, ObjectNode root) {
        Report r = Report.create(dir, "ntk4j multitask: alignment of the sub-tasks' GD updates");
        r.json("multitask.json", root);
        int n = root.get("points").size();
        double[] idx = new double[n], cos = new double[n], c0 = new double[n], c1 = new double[n];
        double[] l0 = new double[n], l1 = new double[n];
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var p = root.get("points").get(i);
            idx[i] = i;
            cos[i] = p.get("update_cosine").asDouble();
            c0[i] = p.get("cross_talk").get(0).asDouble();
            c1[i] = p.get("cross_talk").get(1).asDouble();
            l0[i] = p.get("task_loss").get(0).asDouble();
            l1[i] = p.get("task_loss").get(1).asDouble();
            rows.add(new Object[] {p.get("model").asText(), cos[i], c0[i], c1[i], l0[i], l1[i]});
        }
        r.csv(
                "multitask.csv",
                new String[] {"model", "update_cosine", "cross_talk_0", "cross_talk_1", "task_loss_0", "task_loss_1"},
                rows);
        String xLabel = n > 1 ? "checkpoint (0: --model)" : "model";
        XYChart chart = Report.chart("Alignment of the sub-tasks' updates u_k = NTK_S e_k", xLabel, "value", false);
        chart.addSeries("cos(u_0, u_1)", idx, cos);
        chart.addSeries("cross-talk of u_0", idx, c0);
        chart.addSeries("cross-talk of u_1", idx, c1);
        chart.getStyler().setYAxisMin(-1.0).setYAxisMax(1.0);
        r.plot("update_alignment", chart);
        double lo = Math.min(
                java.util.Arrays.stream(l0).min().orElse(1),
                java.util.Arrays.stream(l1).min().orElse(1));
        double hi = Math.max(
                java.util.Arrays.stream(l0).max().orElse(1),
                java.util.Arrays.stream(l1).max().orElse(1));
        XYChart losses = Report.chart("Sub-task losses", xLabel, "mse of the sub-task's trials", hi >= 10 * lo);
        losses.addSeries("sub-task 0", idx, l0);
        losses.addSeries("sub-task 1", idx, l1);
        r.plot("task_losses", losses);
        r.finish();
    }
}
