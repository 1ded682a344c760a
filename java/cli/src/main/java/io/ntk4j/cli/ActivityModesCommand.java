package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.ActivityModes;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j activity-modes}: the self-referential bias measured ({@link ActivityModes}). */
@Command(
        name = "activity-modes",
        header = "How much of NTK_S's top eigenvectors and of a GD update lies in the dominant modes of the"
                + " joint hidden-input activity (the Global-NTK paper's self-referential bias).",
        mixinStandardHelpOptions = true,
        description = "For the model (and, with --checkpoints, every checkpoint of a training run): the Gram Gamma of"
                + " a weight site's activity over the (b, t) pairs, its top --modes r eigenvectors U_r, and the share"
                + " ||U_r^T V||^2 / ||V||^2 of each of NTK_S's top --top eigenvectors (and of e and NTK_S e for"
                + " --signal e) in their span, beside the chance level r / (B T).")
final class ActivityModesCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(
            names = "--checkpoints",
            paramLabel = "DIR",
            description = "also every checkpoint directory step_* in DIR (train --checkpoint-every), in order")
    Path checkpoints;

    @Option(names = "--site", defaultValue = "0", description = "weight site (0: the one holding W_hh for most cells)")
    int site;

    @Option(names = "--modes", defaultValue = "5", description = "dominant modes r of Gamma (default ${DEFAULT-VALUE})")
    int modes;

    @Option(names = "--top", defaultValue = "5", description = "top eigenvectors of NTK_S (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--signal", paramLabel = "E.npy", description = "an error signal e [B, T, S] on the state")
    Path signal;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        List<TrainingCheckpoints.Point> models = TrainingCheckpoints.along(
                modelOption.model.toString(),
                modelOption.load(spec.commandLine().getErr()),
                checkpoints);
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("site", site);
        root.put("modes", modes);
        root.put("top", top);
        ArrayNode points = root.putArray("points");
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = data.inputs(arena);
            Tensor e = signal == null ? null : Npy.read(signal, arena);
            for (int i = 0; i < models.size(); i++) {
                try (Arena step = Arena.ofConfined();
                        Session s = Session.open(models.get(i).model(), x)) {
                    ActivityModes.Result g = ActivityModes.of(s, site, modes, step);
                    EigenResult ntk = Eigs.topOfGram(
                            s.P().compose(s.jtheta()), EigsOptions.top(top).withVectors(true));
                    ObjectNode p = points.addObject();
                    p.put("model", models.get(i).label());
                    p.put("gamma_effective_rank", g.effectiveRank());
                    ArrayNode ge = p.putArray("gamma_eigenvalues");
                    for (int k = 0; k < modes; k++) {
                        ge.add(g.eigenvalues()[k]);
                    }
                    p.put("chance", g.chance());
                    ArrayNode ev = p.putArray("ntk_eigenvalues"), sh = p.putArray("ntk_eigenvector_shares");
                    int n = Math.toIntExact(s.batch() * s.steps() * s.hiddenSize());
                    double[] vectors = ntk.vectors().toArray();
                    for (int k = 0; k < top; k++) {
                        ev.add(ntk.values()[k]);
                        sh.add(g.share(Tensor.of(step, java.util.Arrays.copyOfRange(vectors, k * n, (k + 1) * n), n)));
                    }
                    if (e != null) {
                        if (e.size() != n) {
                            throw new InvalidInputException(
                                    signal + ": " + e.size() + " entries, the state has " + n + " ([B, T, S])");
                        }
                        Tensor shaped = e.reshape(s.stateShape());
                        p.put("signal_share", g.share(shaped));
                        p.put("update_share", g.share(s.ntk().apply(shaped, step)));
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
                    "share of NTK_S's top %d eigenvectors in the top %d modes of site %d's activity Gram:%n",
                    top, modes, site);
            for (var p : points) {
                StringBuilder b = new StringBuilder();
                for (var v : p.get("ntk_eigenvector_shares")) {
                    b.append(String.format(Locale.ROOT, " %.3f", v.asDouble()));
                }
                out.printf(
                        Locale.ROOT,
                        "  %-24s PR(Gamma) %.3f  shares%s  (chance %.3f)%s%n",
                        p.get("model").asText(),
                        p.get("gamma_effective_rank").asDouble(),
                        b,
                        p.get("chance").asDouble(),
                        p.has("update_share")
                                ? String.format(
                                        Locale.ROOT,
                                        "  e %.3f, NTK_S e %.3f",
                                        p.get("signal_share").asDouble(),
                                        p.get("update_share").asDouble())
                                : "");
            }
        }
        return Main.EXIT_OK;
    }

    private void write(Path dir, ObjectNode root) {
        Report r = Report.create(dir, "ntk4j activity-modes: NTK_S in the dominant modes of the activity Gram");
        r.key("site", root.get("site").asText())
                .key("modes r", root.get("modes").asText());
        r.json("activity_modes.json", root);
        List<Object[]> rows = new ArrayList<>();
        int count = root.get("points").size();
        double[] idx = new double[count], chance = new double[count];
        double[][] shares = new double[top][count];
        for (int i = 0; i < count; i++) {
            var p = root.get("points").get(i);
            idx[i] = i;
            chance[i] = p.get("chance").asDouble();
            for (int k = 0; k < top; k++) {
                shares[k][i] = p.get("ntk_eigenvector_shares").get(k).asDouble();
                rows.add(new Object[] {p.get("model").asText(), k + 1, shares[k][i], chance[i]});
            }
        }
        r.csv("activity_modes.csv", new String[] {"model", "eigenvector", "share", "chance"}, rows);
        XYChart chart = Report.chart(
                "Share of NTK_S's top eigenvectors in the span of Gamma's top " + modes + " modes",
                count > 1 ? "checkpoint (0: --model)" : "model",
                "||U_r^T V||^2 / ||V||^2",
                false);
        for (int k = 0; k < top; k++) {
            chart.addSeries("eigenvector " + (k + 1), idx, shares[k]);
        }
        XYSeries c = chart.addSeries("chance r / (B T)", idx, chance);
        c.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        r.plot("shares", chart);
        r.finish();
    }
}
