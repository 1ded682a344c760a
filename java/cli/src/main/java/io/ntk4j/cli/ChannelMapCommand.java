package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.dynamics.ChannelMap;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.experiments.Sweep;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j channel-map}: the sNTK channel's share of tr NTK_S and its companions on a grid of
 * distance to bifurcation (a gain sweep of W_hh, or training checkpoints) and horizon T
 * ({@link ChannelMap}); plots in {@link ChannelMapReport}.
 */
@Command(
        name = "channel-map",
        mixinStandardHelpOptions = true,
        header = "The bifurcation channel's dominance on a grid of distance to bifurcation (mu) and horizon (T).",
        description =
                "For each gain of W_hh (--model DIR --gains a:b:n) or checkpoint (--checkpoints DIR) and each"
                        + " horizon (--T), the channel of the fixed point nearest the origin on trajectories driven by inputs"
                        + " x ~ N(0, scale^2) [B, T, N] (each trial a seeded stream: a longer T extends a shorter one): its share of tr NTK_S, its"
                        + " eigenvalue, |cos| with NTK_S's top eigenvector, the effective rank and the normal-form cosine, with"
                        + " the linear model's laws beside the channel eigenvalue (one kick: sum_t t^2 (1+mu)^(2(t-1)); driven by"
                        + " the inputs: the second-moment recursion of ChannelMap.drivenLaw), each scaled by one fitted constant.")
final class ChannelMapCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR|FILE", description = "the model whose W_hh gain is swept")
    Path model;

    @Option(names = "--gains", paramLabel = "a:b:n", description = "gains g of W_hh -> g W_hh (with --model)")
    String gains;

    @Option(
            names = "--checkpoints",
            paramLabel = "DIR",
            description = "folder of checkpoints (model directories or .safetensors/.npz), in step order")
    Path checkpoints;

    @Option(
            names = "--T",
            split = ",",
            paramLabel = "T1,T2,...",
            defaultValue = "20,50,100,200,400",
            description = "horizons (default ${DEFAULT-VALUE})")
    int[] steps;

    @Option(names = "--trials", defaultValue = "6", paramLabel = "B", description = "trials (default ${DEFAULT-VALUE})")
    int trials;

    @Option(
            names = "--input-scale",
            defaultValue = "0.05",
            paramLabel = "s",
            description = "standard deviation of the inputs (default ${DEFAULT-VALUE})")
    double inputScale;

    @Option(
            names = "--data-seed",
            defaultValue = "1",
            paramLabel = "s",
            description = "seed of the inputs (default ${DEFAULT-VALUE})")
    long dataSeed;

    @Option(
            names = "--input",
            paramLabel = "x1,x2,...",
            split = ",",
            description = "constant input x_bar of h_bar (default 0)")
    double[] input;

    @Option(
            names = "--starts",
            defaultValue = "16",
            description = "Newton starts per fixed-point search (default ${DEFAULT-VALUE})")
    int starts;

    @Option(names = "--seed", description = "seed of the Newton starts (default ${DEFAULT-VALUE})")
    long seed;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    /** One column of the map: a gain or a checkpoint. */
    record Column(String label, String key, double parameter, Model model) {}

    @Override
    public Integer call() throws IOException {
        List<Column> columns = columns();
        if (output.report != null) {
            Report.requireUsable(output.report); // before the work, not after it
        }
        ChannelMap.Drive drive = new ChannelMap.Drive(trials, inputScale, dataSeed, input);
        FixedPoints.Options o = new FixedPoints.Options(starts, 500, 100, 1e-12, 1.0, seed);
        long t0 = System.nanoTime();
        List<ChannelMap.Point[]> rows = new ArrayList<>();
        for (Column c : columns) {
            ChannelMap.Point[] pts = ChannelMap.measure(c.model(), steps, drive, o);
            for (ChannelMap.Point p : pts) {
                check(c, p);
            }
            rows.add(pts);
        }
        ObjectNode root = json(columns, rows, (System.nanoTime() - t0) / 1e9);
        PrintWriter out = spec.commandLine().getOut();
        if (output.report != null) {
            ChannelMapReport.write(output.report, root, columns, rows);
        }
        if (output.json) {
            out.println(root);
        } else {
            print(out, columns, rows, root);
        }
        return Main.EXIT_OK;
    }

    private List<Column> columns() throws IOException {
        if ((model == null) == (checkpoints == null)) {
            throw new InvalidInputException("give exactly one of --model DIR (with --gains) and --checkpoints DIR");
        }
        List<Column> out = new ArrayList<>();
        if (model != null) {
            if (gains == null) {
                throw new InvalidInputException("--model needs --gains a:b:n (the gains of W_hh to map)");
            }
            Model base = CheckpointFolder.load(model);
            for (double g : Sweep.values(gains)) {
                out.add(new Column(String.format(Locale.ROOT, "g=%.6g", g), "gain", g, base.withGain(g)));
            }
        } else {
            if (gains != null) {
                throw new InvalidInputException("--gains belongs to --model, not to --checkpoints");
            }
            for (Path p : CheckpointFolder.list(checkpoints)) {
                long n = CheckpointFolder.number(p);
                out.add(new Column(p.getFileName().toString(), "checkpoint", n, CheckpointFolder.load(p)));
            }
        }
        return out;
    }

    /** Nothing non-finite leaves with exit 0 (the normal-form cosine is NaN by definition for a complex pair). */
    private static void check(Column c, ChannelMap.Point p) {
        double[] v = {
            p.mu(),
            p.shareOfTrace(),
            p.channelEigenvalue(),
            p.cosineWithTopEigenvector(),
            p.effectiveRank(),
            p.linearLaw(),
            p.drivenLaw()
        };
        for (double x : v) {
            if (!Double.isFinite(x)) {
                throw new NumericalException(
                        "channel-map: a non-finite value at " + c.label() + ", T = " + p.steps() + " (" + p + ")", 0);
            }
        }
    }

    private ObjectNode json(List<Column> columns, List<ChannelMap.Point[]> rows, double seconds) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("model", model != null ? model.toString() : checkpoints.toString());
        root.put("trials", trials);
        root.put("input_scale", inputScale);
        root.put("data_seed", dataSeed);
        ArrayNode ts = root.putArray("T");
        for (int t : steps) {
            ts.add(t);
        }
        ArrayNode pts = root.putArray("points");
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            for (ChannelMap.Point p : rows.get(i)) {
                ObjectNode n = pts.addObject();
                if (c.key().equals("gain")) {
                    n.put("gain", c.parameter());
                } else {
                    n.put("checkpoint", c.label());
                    n.put("step", (long) c.parameter());
                }
                n.put("mu", p.mu());
                n.put("T", p.steps());
                n.put("share_of_trace", p.shareOfTrace());
                n.put("channel_eigenvalue", p.channelEigenvalue());
                n.put("cosine_with_top_eigenvector", p.cosineWithTopEigenvector());
                n.put("effective_rank", p.effectiveRank());
                n.put("effective_rank_std_error", p.effectiveRankStdError());
                if (Double.isNaN(p.normalFormCosine())) {
                    n.putNull("normal_form_cosine"); // a complex pair: no real cubic normal form
                } else {
                    n.put("normal_form_cosine", p.normalFormCosine());
                }
                n.put("trace_ntk", p.traceNtk());
                n.put("linear_law", p.linearLaw());
                n.put("driven_law", p.drivenLaw());
            }
        }
        root.put("linear_law_scale", ChannelMapReport.lawScale(rows, ChannelMap.Point::linearLaw));
        root.put("driven_law_scale", ChannelMapReport.lawScale(rows, ChannelMap.Point::drivenLaw));
        root.put("linear_law_rms_log_error", ChannelMapReport.lawError(rows, ChannelMap.Point::linearLaw));
        root.put("driven_law_rms_log_error", ChannelMapReport.lawError(rows, ChannelMap.Point::drivenLaw));
        root.put("seconds", seconds);
        return root;
    }

    private static void print(PrintWriter out, List<Column> columns, List<ChannelMap.Point[]> rows, ObjectNode root) {
        out.printf(
                "  %-14s %-10s %-5s %-8s %-12s %-8s %-10s %s%n",
                "", "mu", "T", "share", "eigenvalue", "cos top", "eff. rank", "normal-form cos");
        for (int i = 0; i < columns.size(); i++) {
            for (ChannelMap.Point p : rows.get(i)) {
                out.printf(
                        Locale.ROOT,
                        "  %-14s %+-10.5f %-5d %-8.4f %-12.5g %-8.4f %-10.4g %.4f%n",
                        columns.get(i).label(),
                        p.mu(),
                        p.steps(),
                        p.shareOfTrace(),
                        p.channelEigenvalue(),
                        p.cosineWithTopEigenvector(),
                        p.effectiveRank(),
                        p.normalFormCosine());
            }
        }
        out.printf(Locale.ROOT, "%.1f s%n", root.get("seconds").asDouble());
    }
}
