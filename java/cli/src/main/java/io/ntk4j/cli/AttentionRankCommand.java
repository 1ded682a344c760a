package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.AttentionMlpConfig;
import io.ntk4j.experiments.AttentionRank;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j attention-rank}: the Global-NTK paper's attention experiment ({@link AttentionRank}). */
@Command(
        name = "attention-rank",
        header = "The NTK's temporal effective rank of a self-attention block against the input dimension.",
        mixinStandardHelpOptions = true,
        description = "For each batch size B and input dimension d: a freshly initialized attention_mlp block "
                + "(PyTorch's default initialization), inputs x ~ N(0,1) [B, T, d], the effective rank of the "
                + "feature-averaged NTK_S on the B*T tokens (kpflow's partial_avg(-1), exact) and the effective "
                + "dimension of the inputs. Defaults: kpflow's panel B (B = 5,10,15, T = 50, 50 dimensions from 1 "
                + "to 1000, d_model 64, 4 heads, an MLP of 3 layers of 128); the full grid takes about half an hour "
                + "on 2 cores.")
final class AttentionRankCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--batches", split = ",", paramLabel = "B,...", description = "batch sizes (default 5,10,15)")
    List<Integer> batches;

    @Option(
            names = "--T",
            defaultValue = "50",
            paramLabel = "T",
            description = "tokens per sequence (default ${DEFAULT-VALUE})")
    int steps;

    @Option(
            names = "--dims",
            split = ",",
            paramLabel = "d,...",
            description = "input dimensions (default: numpy.linspace(1, 1000, 50).astype(int))")
    List<Integer> dims;

    @Option(names = "--d-model", defaultValue = "64", description = "(default ${DEFAULT-VALUE})")
    int dModel;

    @Option(names = "--heads", defaultValue = "4", description = "(default ${DEFAULT-VALUE})")
    int heads;

    @Option(names = "--mlp-hidden", defaultValue = "128", description = "(default ${DEFAULT-VALUE})")
    int mlpHidden;

    @Option(
            names = "--mlp-layers",
            defaultValue = "3",
            description = "affine layers of the MLP, the output one included (default ${DEFAULT-VALUE})")
    int mlpLayers;

    @Option(names = "--no-positional", description = "without the learned positional embedding")
    boolean noPositional;

    @Option(names = "--causal", description = "causal attention (token t attends to t' <= t)")
    boolean causal;

    @Option(names = "--seed", defaultValue = "1", description = "(default ${DEFAULT-VALUE})")
    long seed;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        AttentionRank.Config paper = AttentionRank.Config.paper();
        // The positional table needs only T rows: kpflow's has 256, but rows beyond T get no gradient,
        // so NTK_S is the same and the input site's products are shorter.
        AttentionRank.Config c = new AttentionRank.Config(
                new AttentionMlpConfig(1, dModel, heads, mlpHidden, mlpLayers, 1, steps, !noPositional, causal),
                batches != null ? batches : paper.batches(),
                steps,
                dims != null ? dims : paper.inputDims(),
                seed);
        PrintWriter out = spec.commandLine().getOut();
        if (!output.json) {
            out.printf(
                    Locale.ROOT,
                    "attention-rank: %s, T=%d, B in %s, %d input dimensions%n",
                    c.block(),
                    steps,
                    c.batches(),
                    c.inputDims().size());
            out.printf(
                    "  %-4s %-7s %-26s %-24s %s%n",
                    "B", "d_in", "temporal effective rank", "input effective dim", "seconds");
            out.flush();
        }
        long t0 = System.nanoTime();
        List<AttentionRank.Point> points = AttentionRank.run(c, p -> {
            if (!output.json) {
                out.printf(
                        Locale.ROOT,
                        "  %-4d %-7d %-26.6f %-24.6f %.1f%n",
                        p.batch(),
                        p.inputDim(),
                        p.temporalEffectiveRank(),
                        p.inputEffectiveDim(),
                        p.seconds());
                out.flush();
            }
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("experiment", "attention-rank");
        root.put("block", c.block().toString().replace("d_input=1, ", ""));
        root.put("T", steps);
        root.put("seed", seed);
        root.put("temporal_operator", "feature average of NTK_S on the B*T tokens (kpflow partial_avg(-1)), exact");
        ArrayNode arr = root.putArray("points");
        for (AttentionRank.Point p : points) {
            ObjectNode n = arr.addObject();
            n.put("B", p.batch());
            n.put("d_input", p.inputDim());
            n.put("temporal_effective_rank", p.temporalEffectiveRank());
            n.put("input_effective_dim", p.inputEffectiveDim());
            n.put("ntk_applies", p.applies());
            n.put("seconds", p.seconds());
        }
        root.put("seconds", seconds);
        if (output.report != null) {
            write(output.report, c, points, root);
        }
        if (output.json) {
            out.println(root.toString());
        } else {
            out.printf(
                    Locale.ROOT,
                    "  %d points in %.1f s%s%n",
                    points.size(),
                    seconds,
                    output.report != null ? "; report in " + output.report.toAbsolutePath() : "");
        }
        return Main.EXIT_OK;
    }

    private static void write(Path dir, AttentionRank.Config c, List<AttentionRank.Point> points, ObjectNode root) {
        Report r = Report.create(
                dir, "ntk4j attention-rank: temporal effective rank of the NTK against the input dimension");
        r.key("block", root.get("block").asText())
                .key("T", String.valueOf(c.steps()))
                .key("seed", String.valueOf(c.seed()));
        r.json("attention_rank.json", root);
        List<Object[]> rows = new ArrayList<>();
        for (AttentionRank.Point p : points) {
            rows.add(
                    new Object[] {p.batch(), p.inputDim(), p.temporalEffectiveRank(), p.inputEffectiveDim(), p.seconds()
                    });
        }
        r.csv(
                "attention_rank.csv",
                new String[] {"B", "d_input", "temporal_effective_rank", "input_effective_dim", "seconds"},
                rows);
        // Log axes where the values span a decade or more (ranks run from 1 to B*T).
        double lo = points.stream()
                .mapToDouble(p -> Math.min(p.temporalEffectiveRank(), p.inputEffectiveDim()))
                .min()
                .orElse(1);
        double hi = points.stream()
                .mapToDouble(p -> Math.max(p.temporalEffectiveRank(), p.inputEffectiveDim()))
                .max()
                .orElse(1);
        int dMin = c.inputDims().stream().mapToInt(Integer::intValue).min().orElse(1);
        int dMax = c.inputDims().stream().mapToInt(Integer::intValue).max().orElse(1);
        XYChart chart = Report.chart(
                "Temporal effective rank of NTK_S (solid) and effective dimension of the inputs (dashed)",
                "input dimension d_input",
                "effective rank",
                hi >= 10 * lo);
        chart.getStyler().setXAxisLogarithmic(dMax >= 10 * dMin);
        java.awt.Color[] palette = {
            new java.awt.Color(31, 119, 180),
            new java.awt.Color(255, 127, 14),
            new java.awt.Color(44, 160, 44),
            new java.awt.Color(214, 39, 40),
            new java.awt.Color(148, 103, 189)
        };
        int colour = 0;
        for (int b : c.batches()) {
            double[] x = points.stream()
                    .filter(p -> p.batch() == b)
                    .mapToDouble(AttentionRank.Point::inputDim)
                    .toArray();
            double[] ntk = points.stream()
                    .filter(p -> p.batch() == b)
                    .mapToDouble(AttentionRank.Point::temporalEffectiveRank)
                    .toArray();
            double[] in = points.stream()
                    .filter(p -> p.batch() == b)
                    .mapToDouble(AttentionRank.Point::inputEffectiveDim)
                    .toArray();
            java.awt.Color col = palette[colour++ % palette.length];
            XYSeries sn = chart.addSeries("NTK_S temporal rank, B = " + b, x, ntk);
            sn.setLineColor(col);
            sn.setMarkerColor(col);
            XYSeries s = chart.addSeries("inputs, B = " + b, x, in);
            s.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
            s.setLineColor(col);
            s.setMarkerColor(col);
            r.key(
                    "B = " + b + ": temporal rank range",
                    String.format(
                            Locale.ROOT,
                            "%.3f .. %.3f",
                            Arrays.stream(ntk).min().orElse(Double.NaN),
                            Arrays.stream(ntk).max().orElse(Double.NaN)));
        }
        r.plot("temporal_rank_vs_input_dim", chart);
        r.finish();
    }
}
