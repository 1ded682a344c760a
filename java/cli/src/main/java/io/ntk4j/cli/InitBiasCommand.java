package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import io.ntk4j.Tensor;
import io.ntk4j.experiments.InitializationBias;
import io.ntk4j.io.PyTorchModel;
import io.ntk4j.training.Optimizer;
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

/** {@code ntk4j init-bias}: planted fixed points at initialization and what GD then learns ({@link InitializationBias}). */
@Command(
        name = "init-bias",
        header = "Initialization bias: fixed points planted at initialization, NTK_S on the target modes, and which"
                + " task components get learned.",
        mixinStandardHelpOptions = true,
        description = "For each count n of --planted, n fixed points d ~ N(0, I) (seeded by --point-seed, nested:"
                + " the first n of one draw) are planted in the rnn_leaky model's W_hh; the Rayleigh quotient of"
                + " NTK_S on each target mode q_c = y*_c W_out[c, :] (and their sum), normalized by NTK_S's largest"
                + " eigenvalue, is measured before and after --steps optimizer steps on the mse loss, with each"
                + " output channel's loss (kpflow's examples/mem_pro_init_example).")
final class InitBiasCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(names = "--targets", paramLabel = "Y.npy", description = "[B, T, O] (not with --task)")
    Path targets;

    @Option(
            names = "--planted",
            split = ",",
            defaultValue = "0,5",
            paramLabel = "n",
            description = "fixed-point counts, one run each (default ${DEFAULT-VALUE}, kpflow's)")
    int[] planted;

    @Option(names = "--point-seed", defaultValue = "3", description = "seed of the points (default ${DEFAULT-VALUE})")
    long pointSeed;

    @Option(names = "--steps", defaultValue = "300", description = "optimizer steps (default ${DEFAULT-VALUE})")
    int steps;

    @Option(
            names = "--optimizer",
            defaultValue = "sgd",
            description = "sgd, sgd_momentum or adam (default ${DEFAULT-VALUE}: NTK_S describes plain GD)")
    String optimizer;

    @Option(names = "--lr", defaultValue = "0.03", description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "of sgd_momentum (default ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--top", defaultValue = "5", description = "top eigenvectors of NTK_S (default ${DEFAULT-VALUE})")
    int top;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        PyTorchModel.Loaded loaded = modelOption.load(spec.commandLine().getErr());
        Model base = loaded.model();
        Readout readout = loaded.readout();
        if (readout == null) {
            throw new InvalidInputException(modelOption.model + ": the mse loss needs a readout (readout_weight.npy,"
                    + " readout_bias.npy; init-model --outputs O writes one)");
        }
        if (planted.length == 0) {
            throw new InvalidInputException("--planted: give at least one count");
        }
        int most = 0;
        for (int n : planted) {
            if (n < 0) {
                throw new InvalidInputException("--planted: counts must be >= 0, got " + n);
            }
            most = Math.max(most, n);
        }
        Optimizer opt = new Optimizer(Optimizer.Kind.fromId(optimizer), lr, momentum);
        double[][] points = InitializationBias.randomPoints(most, base.hiddenSize(), pointSeed);
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("model", modelOption.model.toString());
        root.put("steps", steps);
        root.put("optimizer", opt.kind().id());
        root.put("lr", lr);
        ArrayNode runs = root.putArray("runs");
        long t0 = System.nanoTime();
        int outputs = readout.outputSize();
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = data.inputs(arena), y = data.targets(targets, arena);
            root.set("channels", channelNames(outputs));
            for (int n : planted) {
                double[][] pts = java.util.Arrays.copyOf(points, n);
                Model m = InitializationBias.plantFixedPoints(base, pts);
                InitializationBias.Run run;
                try {
                    run = InitializationBias.train(m, readout, x, y, opt, steps, top);
                } catch (io.ntk4j.NumericalException e) {
                    throw new io.ntk4j.NumericalException(
                            "--planted " + n + ": " + e.getMessage() + " (try a smaller --lr)", e.status());
                }
                ObjectNode o = runs.addObject();
                o.put("planted", n);
                ArrayNode res = o.putArray("fixed_point_residuals");
                for (double v : InitializationBias.fixedPointResiduals(m, pts)) {
                    res.add(v);
                }
                put(o.putObject("at_init"), run.atInit());
                put(o.putObject("after_training"), run.atEnd());
                ArrayNode l = o.putArray("losses");
                for (double v : run.losses()) {
                    l.add(v);
                }
            }
        }
        root.put("seconds", (System.nanoTime() - t0) / 1e9);
        if (output.report != null) {
            write(output.report, root);
        }
        print(root);
        return Main.EXIT_OK;
    }

    /** memory_pro's (and its variants') outputs are fixation, cos, sin; otherwise output c. */
    private ArrayNode channelNames(int outputs) {
        ArrayNode a = new ObjectMapper().createArrayNode();
        boolean memoryPro =
                data.task != null && data.task.toLowerCase(Locale.ROOT).contains("memory_pro");
        String[] names = {"fixation", "cos", "sin"};
        for (int c = 0; c < outputs; c++) {
            a.add(memoryPro && outputs == 3 ? names[c] : "output " + c);
        }
        return a;
    }

    private static void put(ObjectNode n, InitializationBias.Measurement m) {
        n.put("loss", m.loss());
        n.put("ntk_lambda_max", m.lambdaMax());
        ArrayNode r = n.putArray("rayleigh");
        ArrayNode sh = n.putArray("top_mode_share");
        for (int c = 0; c < m.rayleigh().length - 1; c++) {
            r.add(m.rayleigh()[c]);
            double[] s = m.topShares()[c];
            sh.add(s[s.length - 1]);
        }
        int all = m.rayleigh().length - 1;
        n.put("rayleigh_target", m.rayleigh()[all]);
        n.put("top_mode_share_target", m.topShares()[all][m.topShares()[all].length - 1]);
        ArrayNode cl = n.putArray("channel_loss");
        for (double v : m.channelLoss()) {
            cl.add(v);
        }
        ArrayNode ev = n.putArray("explained_variance");
        for (double v : m.explainedVariance()) {
            ev.add(v);
        }
    }

    private void print(ObjectNode root) {
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(root.toString());
            return;
        }
        JsonNode ch = root.get("channels");
        out.printf(
                Locale.ROOT,
                "init-bias: %d %s steps, lr %s; R = q^T NTK_S q / (|q|^2 lambda_max) on the target modes%n",
                root.get("steps").asInt(),
                root.get("optimizer").asText(),
                root.get("lr").asText());
        for (JsonNode run : root.get("runs")) {
            JsonNode a = run.get("at_init"), b = run.get("after_training");
            out.printf(
                    Locale.ROOT,
                    "  %d planted: loss %.4e -> %.4e, R(target) %.4g -> %.4g%n",
                    run.get("planted").asInt(),
                    a.get("loss").asDouble(),
                    b.get("loss").asDouble(),
                    a.get("rayleigh_target").asDouble(),
                    b.get("rayleigh_target").asDouble());
            for (int c = 0; c < ch.size(); c++) {
                out.printf(
                        Locale.ROOT,
                        "    %-10s R at init %-10.4g loss %.3e -> %.3e, explained variance %6.3f -> %6.3f%n",
                        ch.get(c).asText(),
                        a.get("rayleigh").get(c).asDouble(),
                        a.get("channel_loss").get(c).asDouble(),
                        b.get("channel_loss").get(c).asDouble(),
                        a.get("explained_variance").get(c).asDouble(),
                        b.get("explained_variance").get(c).asDouble());
            }
        }
        out.printf(Locale.ROOT, "  time %.2f s%n", root.get("seconds").asDouble());
    }

    private void write(Path dir, ObjectNode root) {
        Report r = Report.create(dir, "ntk4j init-bias: planted fixed points and what GD learns");
        r.json("init_bias.json", root);
        JsonNode ch = root.get("channels");
        List<Object[]> rows = new ArrayList<>();
        XYChart losses = Report.chart("Training loss", "step", "mse", true);
        XYChart rayleigh = Report.chart(
                "Rayleigh quotient of NTK_S on the target modes at initialization",
                "output channel (" + String.join(", ", names(ch)) + ")",
                "q^T NTK_S q / (|q|^2 lambda_max)",
                true);
        XYChart learned = Report.chart(
                "Which task components get learned",
                "Rayleigh quotient at initialization",
                "explained variance after training (R^2)",
                false);
        learned.getStyler().setXAxisLogarithmic(true);
        learned.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        for (JsonNode run : root.get("runs")) {
            int n = run.get("planted").asInt();
            String label = n + " planted";
            JsonNode l = run.get("losses");
            double[] step = new double[l.size()], loss = new double[l.size()];
            for (int i = 0; i < l.size(); i++) {
                step[i] = i;
                loss[i] = l.get(i).asDouble();
            }
            losses.addSeries(label, step, loss).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            List<Double> cx = new ArrayList<>(), rx = new ArrayList<>(), fx = new ArrayList<>();
            for (int c = 0; c < ch.size(); c++) {
                double rq = run.get("at_init").get("rayleigh").get(c).asDouble();
                double f = run.get("after_training")
                        .get("explained_variance")
                        .get(c)
                        .asDouble();
                rows.add(new Object[] {
                    n,
                    ch.get(c).asText(),
                    rq,
                    run.get("after_training").get("rayleigh").get(c).asDouble(),
                    run.get("at_init").get("channel_loss").get(c).asDouble(),
                    run.get("after_training").get("channel_loss").get(c).asDouble(),
                    run.get("at_init").get("explained_variance").get(c).asDouble(),
                    f
                });
                if (rq > 0 && Double.isFinite(f)) { // a zero target has no Rayleigh quotient, a constant one no R^2
                    cx.add((double) c);
                    rx.add(rq);
                    fx.add(f);
                }
            }
            if (!rx.isEmpty()) {
                rayleigh.addSeries(label, cx, rx);
                learned.addSeries(label, rx, fx);
            }
        }
        r.csv(
                "init_bias.csv",
                new String[] {
                    "planted",
                    "channel",
                    "rayleigh_init",
                    "rayleigh_end",
                    "loss_init",
                    "loss_end",
                    "explained_variance_init",
                    "explained_variance_end"
                },
                rows);
        r.plot("losses", losses);
        r.plot("rayleigh_at_init", rayleigh);
        r.plot("learned_vs_rayleigh", learned);
        r.finish();
    }

    private static List<String> names(JsonNode ch) {
        List<String> out = new ArrayList<>();
        ch.forEach(c -> out.add(c.asText()));
        return out;
    }
}
