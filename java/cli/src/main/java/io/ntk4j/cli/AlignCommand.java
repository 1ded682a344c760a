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
import io.ntk4j.spectral.Alignment;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.spectral.Estimate;
import io.ntk4j.spectral.SpectrumAnalysis.Target;
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
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j align}: the alignment cos(A, B) = &lt;A, B&gt;_F / (||A||_F ||B||_F) of two
 * operators (DESIGN.md, "Spectral quantities"), and optionally how an error signal e and its GD
 * update A e lie in the top eigenvectors of A and B.
 */
@Command(
        name = "align",
        header = "The alignment (Frobenius cosine) of two operators, and of a GD update with their top modes.",
        mixinStandardHelpOptions = true,
        description = {
            "cos(A, B) = <A, B>_F / (||A||_F ||B||_F), estimated with shared random-sign probes (standard error by"
                    + " the jackknife) or exactly (--exact: the identity as probes). A and B come from the same"
                    + " session, or B from --model-b on the same inputs (NTK_S at initialization vs after training)."
                    + " NTK,PPt is KPFlow's misdirection; NTK,K how much P reshapes K.",
            "--signal E.npy: an error signal e on A's space; reports the share of ||e||^2 and of ||A e||^2 (the"
                    + " first-order GD update of the state, or of the outputs for NTK_y) in the span of the top"
                    + " --top eigenvectors of A and of B."
        })
final class AlignCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(
            names = "--ops",
            split = ",",
            required = true,
            paramLabel = "A,B",
            description = "two of NTK, K, PPt, P, NTK_y, NTK_h (of the same shape)")
    List<String> ops;

    @Option(
            names = "--model-b",
            paramLabel = "DIR|FILE",
            description = "take B from this model (same layout; the same --cell/--heads options) on the same inputs")
    Path modelB;

    @Option(names = "--exact", description = "exactly, with n applies of each operator (small sizes)")
    boolean exact;

    @Option(
            names = "--probes",
            defaultValue = "200",
            description = "shared random-sign probes of the estimate (default ${DEFAULT-VALUE})")
    int probes;

    @Option(names = "--seed", defaultValue = "1", description = "(default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--signal", paramLabel = "E.npy", description = "an error signal on A's space ([B, T, width])")
    Path signal;

    @Option(
            names = "--top",
            defaultValue = "10",
            description = "eigenvectors of A and B for --signal (default ${DEFAULT-VALUE})")
    int top;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        if (ops.size() != 2) {
            throw new ParameterException(spec.commandLine(), "--ops takes two operators, A,B; got " + ops);
        }
        Target ta = Target.fromId(ops.get(0)), tb = Target.fromId(ops.get(1));
        if (!exact && probes < 2) {
            throw new InvalidInputException("--probes must be >= 2, got " + probes);
        }
        if (signal != null && top <= 0) {
            throw new InvalidInputException("--top must be > 0, got " + top);
        }
        PrintWriter err = spec.commandLine().getErr();
        PyTorchModel.Loaded la = modelOption.load(err);
        PyTorchModel.Loaded lb = modelB == null ? la : other().load(err);
        long t0 = System.nanoTime();
        ObjectNode root = new ObjectMapper().createObjectNode();
        try (Arena arena = Arena.ofConfined();
                Session sa = Session.open(la.model(), data.inputs(arena));
                Session sb = modelB == null ? null : Session.open(lb.model(), data.inputs(arena))) {
            Session sB = sb == null ? sa : sb;
            LinearOperator a = ta.of(sa, la.readout());
            LinearOperator b = tb.of(sB, lb.readout());
            if (a.rows() != b.rows() || a.cols() != b.cols()) {
                throw new InvalidInputException(ta.label() + " (" + a.rows() + " x " + a.cols() + ") and " + tb.label()
                        + " (" + b.rows() + " x " + b.cols() + ") do not have the same shape: no alignment");
            }
            root.put("A", ta.label());
            root.put("B", tb.label());
            root.put("model", modelOption.model.toString());
            root.put("model_b", modelB == null ? modelOption.model.toString() : modelB.toString());
            root.put("dimension", a.cols());
            if (exact) {
                root.put("alignment", Alignment.exact(a, b));
                root.put("alignment_std_error", 0.0);
                root.put("method", "exact");
                root.put("applies", 2 * a.cols());
            } else {
                Estimate e = Alignment.estimate(a, b, probes, seed);
                root.put("alignment", e.value());
                root.put("alignment_std_error", e.stdError());
                root.put("method", "random-sign probes, jackknife standard error");
                root.put("probes", probes);
                root.put("applies", e.applies());
            }
            double[][] shares = null;
            if (signal != null) {
                shares = signalShares(a, b, ta.symmetric() && tb.symmetric(), arena, root);
            }
            root.put("seconds", (System.nanoTime() - t0) / 1e9);
            if (!Double.isFinite(root.get("alignment").asDouble())) {
                throw new io.ntk4j.NumericalException("the alignment is not finite (an operator is zero?)", 0);
            }
            if (output.report != null) {
                write(output.report, root, shares);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(root.toString());
        } else {
            out.printf(
                    Locale.ROOT,
                    "cos(%s, %s) = %.6f +- %.2g (%s)%n",
                    root.get("A").asText(),
                    root.get("B").asText(),
                    root.get("alignment").asDouble(),
                    root.get("alignment_std_error").asDouble(),
                    root.get("method").asText());
            if (root.has("signal")) {
                ObjectNode s = (ObjectNode) root.get("signal");
                out.printf(
                        Locale.ROOT,
                        "signal: share in the top %d modes of A: e %.4f, A e %.4f; of B: e %.4f, A e %.4f%n",
                        top,
                        last(s, "e_in_A_modes"),
                        last(s, "update_in_A_modes"),
                        last(s, "e_in_B_modes"),
                        last(s, "update_in_B_modes"));
            }
            if (output.report != null) {
                out.println("report in " + output.report.toAbsolutePath());
            }
        }
        return Main.EXIT_OK;
    }

    /** The second model's option: --model-b with the first one's state-dict options. */
    private ModelOption other() {
        ModelOption o = new ModelOption();
        o.model = modelB;
        o.cell = modelOption.cell;
        o.dt = modelOption.dt;
        o.nonlinearity = modelOption.nonlinearity;
        o.heads = modelOption.heads;
        o.causal = modelOption.causal;
        return o;
    }

    /** Shares of e and A e in the top modes of A and B: rows e_A, update_A, e_B, update_B. */
    private double[][] signalShares(
            LinearOperator a, LinearOperator b, boolean symmetric, Arena arena, ObjectNode root) {
        if (!symmetric) {
            throw new InvalidInputException("--signal needs symmetric operators (their eigenvectors): not P");
        }
        Tensor e = Npy.read(signal, arena);
        if (e.size() != a.cols()) {
            throw new InvalidInputException(signal + ": " + e.size() + " entries, but "
                    + root.get("A").asText() + " acts on vectors of " + a.cols());
        }
        if (top > a.cols()) {
            throw new InvalidInputException("--top " + top + " exceeds the dimension " + a.cols());
        }
        Tensor flat = e; // as given: [B, T, width] for a session's operators
        Tensor update = a.apply(flat, arena);
        EigenResult ea = Eigs.top(a, EigsOptions.top(top).withVectors(true).withSeed(seed));
        EigenResult eb = Eigs.top(b, EigsOptions.top(top).withVectors(true).withSeed(seed));
        double[][] shares = {
            Alignment.captured(ea.vectors(), flat),
            Alignment.captured(ea.vectors(), update),
            Alignment.captured(eb.vectors(), flat),
            Alignment.captured(eb.vectors(), update)
        };
        ObjectNode s = root.putObject("signal");
        s.put("file", signal.toString());
        s.put("top", top);
        String[] names = {"e_in_A_modes", "update_in_A_modes", "e_in_B_modes", "update_in_B_modes"};
        for (int i = 0; i < names.length; i++) {
            ArrayNode arr = s.putArray(names[i]);
            for (double v : shares[i]) {
                arr.add(v);
            }
        }
        s.put("update_alignment_with_top_A_mode", Math.sqrt(shares[1][0]));
        return shares;
    }

    private static double last(ObjectNode s, String key) {
        return s.get(key).get(s.get(key).size() - 1).asDouble();
    }

    private static void write(Path dir, ObjectNode root, double[][] shares) {
        Report r = Report.create(
                dir,
                "ntk4j align: cos(" + root.get("A").asText() + ", "
                        + root.get("B").asText() + ")");
        r.key("model", root.get("model").asText())
                .key("model B", root.get("model_b").asText())
                .key(
                        "alignment",
                        String.format(
                                Locale.ROOT,
                                "%.6f +- %.2g (%s)",
                                root.get("alignment").asDouble(),
                                root.get("alignment_std_error").asDouble(),
                                root.get("method").asText()));
        r.json("align.json", root);
        if (shares != null) {
            List<Object[]> rows = new ArrayList<>();
            for (int j = 0; j < shares[0].length; j++) {
                rows.add(new Object[] {j + 1, shares[0][j], shares[1][j], shares[2][j], shares[3][j]});
            }
            r.csv(
                    "signal_shares.csv",
                    new String[] {"modes", "e_in_A_modes", "update_in_A_modes", "e_in_B_modes", "update_in_B_modes"},
                    rows);
            double[] x = new double[shares[0].length];
            for (int j = 0; j < x.length; j++) {
                x[j] = j + 1;
            }
            XYChart chart = Report.chart(
                    "Share of the error signal e and of its GD update A e in the top eigenvectors",
                    "number of top eigenvectors j",
                    "||U_j^T v||^2 / ||v||^2",
                    false);
            String a = root.get("A").asText(), b = root.get("B").asText();
            chart.addSeries("e in " + a + " modes", x, shares[0]);
            chart.addSeries("A e in " + a + " modes", x, shares[1]);
            chart.addSeries("e in " + b + " modes", x, shares[2]);
            chart.addSeries("A e in " + b + " modes", x, shares[3]);
            chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
            r.plot("signal_shares", chart);
        }
        r.finish();
    }
}
