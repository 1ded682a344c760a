package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import io.ntk4j.io.PyTorchModel;
import io.ntk4j.spectral.Axis;
import io.ntk4j.spectral.PartialModes;
import io.ntk4j.spectral.Reduction;
import io.ntk4j.spectral.SpectrumAnalysis.Target;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j partial-dims}: exact partial effective dimensions and modes over any axes ({@link PartialModes}). */
@Command(
        name = "partial-dims",
        header = "Exact partial effective dimensions and modes of an operator over single or joint axes.",
        mixinStandardHelpOptions = true,
        description = {
            "Reduces the operator (or its Gram A A*, kpflow's default grammian) to each axis -- batch, time, hidden,"
                    + " or two kept together such as batch*time -- by the true partial trace or kpflow's"
                    + " broadcast-reduce, exactly, and reports (tr M)^2 / ||M||_F^2 and M's top eigenvectors (the"
                    + " temporal and spatial modes). The true partial trace costs n applies per axis: for large"
                    + " operators use spectrum's estimated partial dimensions."
        })
final class PartialDimsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(
            names = "--op",
            defaultValue = "NTK",
            description = "NTK, K, PPt, P, NTK_y, NTK_h (default ${DEFAULT-VALUE})")
    String op;

    @Option(
            names = "--axes",
            split = ",",
            defaultValue = "batch,time,hidden,batch*time",
            description = "axes to keep: batch, time, hidden, or two joined by * (default ${DEFAULT-VALUE})")
    List<String> axes;

    @Option(
            names = "--no-grammian",
            description = "reduce the operator itself (kpflow's grammian=False) rather than its Gram A A*")
    boolean noGrammian;

    @Option(
            names = "--reduction",
            defaultValue = "true",
            description = "true (the partial trace) or kpflow (broadcast-reduce) (default ${DEFAULT-VALUE})")
    String reduction;

    @Option(names = "--modes", defaultValue = "3", description = "top modes per axis (default ${DEFAULT-VALUE})")
    int modes;

    @Option(names = "--modes-out", paramLabel = "DIR", description = "write <axis>_modes.npy [k, m] per axis into DIR")
    Path modesOut;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        Target target = Target.fromId(op);
        Reduction red = switch (reduction.toLowerCase(Locale.ROOT)) {
            case "true" -> Reduction.TRUE_PARTIAL_TRACE;
            case "kpflow" -> Reduction.KPFLOW;
            default -> throw new InvalidInputException("--reduction must be true or kpflow, got " + reduction);
        };
        List<Axis> keep = new ArrayList<>();
        for (String a : axes) {
            keep.add(Axis.fromId(a));
        }
        PyTorchModel.Loaded loaded = modelOption.load(spec.commandLine().getErr());
        long t0 = System.nanoTime();
        ObjectNode root = new ObjectMapper().createObjectNode();
        List<PartialModes.Result> results = new ArrayList<>();
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(loaded.model(), data.inputs(arena))) {
            io.ntk4j.Readout readout = loaded.readout(); // used by NTK_y only
            LinearOperator a = target.of(s, readout);
            long width = target.width(s, readout);
            root.put("op", target.label());
            root.put("model", modelOption.model.toString());
            root.put("grammian", !noGrammian);
            root.put("reduction", red == Reduction.KPFLOW ? "kpflow broadcast-reduce" : "true partial trace");
            root.put("reduced", noGrammian ? target.label() : target.label() + " " + target.label() + "*");
            root.putArray("shape").add(s.batch()).add(s.steps()).add(width);
            ArrayNode arr = root.putArray("axes");
            for (Axis axis : keep) {
                PartialModes.Result r = PartialModes.of(
                        a,
                        s.batch(),
                        s.steps(),
                        width,
                        axis,
                        red,
                        !noGrammian,
                        (int) Math.min(modes, axis.length(s.batch(), s.steps(), width)),
                        arena);
                results.add(r);
                ObjectNode n = arr.addObject();
                n.put("axis", axis.id());
                n.put("length", r.eigenvalues().length);
                n.put("effective_dim", r.effectiveDim());
                ArrayNode ev = n.putArray("eigenvalues");
                for (int i = 0; i < Math.min(10, r.eigenvalues().length); i++) {
                    ev.add(r.eigenvalues()[i]);
                }
                if (modesOut != null && r.modes() != null) {
                    Files.createDirectories(modesOut);
                    Path f = modesOut.resolve(axis.id().replace('*', '_') + "_modes.npy");
                    Npy.write(f, r.modes());
                    n.put("modes_file", f.toString());
                }
            }
            root.put("seconds", (System.nanoTime() - t0) / 1e9);
            if (output.report != null) {
                write(output.report, root, results);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(root.toString());
        } else {
            out.printf(
                    "partial effective dimensions of %s (%s), exact:%n",
                    root.get("reduced").asText(), root.get("reduction").asText());
            for (PartialModes.Result r : results) {
                out.printf(
                        Locale.ROOT,
                        "  %-13s (%5d)  %.6f   top eigenvalues %s%n",
                        r.axis().id(),
                        r.eigenvalues().length,
                        r.effectiveDim(),
                        top(r.eigenvalues()));
            }
        }
        return Main.EXIT_OK;
    }

    private static String top(double[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(3, v.length); i++) {
            b.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.4g", v[i]));
        }
        return b.toString();
    }

    private static void write(Path dir, ObjectNode root, List<PartialModes.Result> results) {
        Report r =
                Report.create(dir, "ntk4j partial-dims: " + root.get("reduced").asText());
        r.key("model", root.get("model").asText())
                .key("reduction", root.get("reduction").asText());
        r.json("partial_dims.json", root);
        List<Object[]> rows = new ArrayList<>();
        for (PartialModes.Result p : results) {
            rows.add(new Object[] {p.axis().id(), p.eigenvalues().length, p.effectiveDim()});
            r.key(p.axis().id(), String.format(Locale.ROOT, "%.6f", p.effectiveDim()));
        }
        r.csv("partial_dims.csv", new String[] {"axis", "length", "effective_dim"}, rows);
        for (PartialModes.Result p : results) {
            double[] ev = p.eigenvalues();
            double lo = Double.MAX_VALUE;
            double[] x = new double[ev.length], y = new double[ev.length];
            int kept = 0;
            for (int i = 0; i < ev.length; i++) {
                if (ev[i] > 1e-14 * ev[0]) { // the log axis shows the numerically non-zero part
                    x[kept] = i + 1;
                    y[kept++] = ev[i];
                    lo = Math.min(lo, ev[i]);
                }
            }
            XYChart spectrum = Report.chart(
                    "Eigenvalues of the operator reduced to the " + p.axis().id() + " axis",
                    "index i",
                    "eigenvalue of M",
                    ev[0] >= 10 * lo);
            spectrum.addSeries(
                    "M (" + p.axis().id() + ")", java.util.Arrays.copyOf(x, kept), java.util.Arrays.copyOf(y, kept));
            r.plot(p.axis().id().replace('*', '_') + "_spectrum", spectrum);
            Tensor modes = p.modes();
            if (modes != null) {
                long m = ev.length;
                XYChart chart = Report.chart(
                        "Top modes of the operator reduced to the " + p.axis().id() + " axis",
                        p.axis().id() + " index",
                        "mode entry",
                        false);
                double[] idx = new double[(int) m];
                for (int i = 0; i < m; i++) {
                    idx[i] = i;
                }
                for (int k = 0; k < modes.size() / m; k++) {
                    double[] v = new double[(int) m];
                    for (int i = 0; i < m; i++) {
                        v[i] = modes.getFlat(k * m + i);
                    }
                    chart.addSeries("mode " + (k + 1), idx, v);
                }
                r.plot(p.axis().id().replace('*', '_') + "_modes", chart);
            }
        }
        r.finish();
    }
}
