package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.dynamics.Bifurcations;
import io.ntk4j.dynamics.Channel;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.experiments.Sweep;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j fixed-points}: the fixed points of a model under a constant input with their
 * stability and critical eigenvalue; optionally a gain sweep of W_hh with classified crossings of
 * the unit circle, and the sNTK channel of the fixed point nearest the origin on a trajectory.
 */
@Command(
        name = "fixed-points",
        mixinStandardHelpOptions = true,
        header =
                "Fixed points, their critical eigenvalues and stability; gain sweeps with classified bifurcations; the channel.",
        description =
                "Newton's method on f(h, x) - h = 0 from the ends of autonomous rollouts (constant input x, default 0). "
                        + "--gains a:b:n tracks the branch nearest the origin along W_hh -> g W_hh and classifies each crossing; "
                        + "--channel with --inputs or --task decomposes NTK_S at the fixed point nearest the origin.")
final class FixedPointsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @Option(names = "--input", paramLabel = "x1,x2,...", split = ",", description = "constant input x (default 0)")
    double[] input;

    @Option(
            names = "--starts",
            defaultValue = "16",
            description = "rollouts to start Newton from (default ${DEFAULT-VALUE})")
    int starts;

    @Option(names = "--seed", description = "seed of the rollouts' initial states (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--gains", paramLabel = "a:b:n", description = "sweep the gain g of W_hh and classify crossings")
    String gains;

    @Option(names = "--channel", description = "the sNTK channel at the fixed point nearest the origin (needs data)")
    boolean channel;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() {
        Model m = modelOption.load(spec.commandLine().getErr()).model();
        if (input != null && input.length != m.inputSize()) {
            throw new InvalidInputException(
                    "--input has " + input.length + " values but the model has N = " + m.inputSize());
        }
        FixedPoints.Options o = new FixedPoints.Options(starts, 500, 100, 1e-12, 1.0, seed);
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        FixedPoints.Result r = FixedPoints.find(m, input, o);
        ArrayNode pts = root.putArray("fixed_points");
        if (!json) {
            out.printf(
                    "%d fixed point(s) of %s (%d Newton run(s) did not converge)%n",
                    r.points().size(), m, r.failedRuns());
            out.printf(
                    "  %-3s %-12s %-16s %-28s %-10s %s%n",
                    "#", "max|h|", "spectral radius", "lambda_c", "mu", "stability");
        }
        int i = 0;
        for (FixedPoints.FixedPoint p : r.points()) {
            int c = p.criticalIndex();
            double norm = 0;
            for (double v : p.state()) {
                norm = Math.max(norm, Math.abs(v));
            }
            ObjectNode n = pts.addObject();
            n.put("max_abs_state", norm);
            n.put("spectral_radius", p.spectralRadius());
            n.put("lambda_c_re", p.eigenvaluesRe()[c]);
            n.put("lambda_c_im", p.eigenvaluesIm()[c]);
            n.put("mu", p.mu());
            n.put("stable", p.stable());
            ArrayNode st = n.putArray("state");
            for (double v : p.state()) {
                st.add(v);
            }
            if (!json) {
                out.printf(
                        Locale.ROOT,
                        "  %-3d %-12.6g %-16.10f %-28s %+-10.6f %s%n",
                        i,
                        norm,
                        p.spectralRadius(),
                        String.format(Locale.ROOT, "%.8f%+.8fi", p.eigenvaluesRe()[c], p.eigenvaluesIm()[c]),
                        p.mu(),
                        p.stable() ? "stable" : "unstable");
            }
            i++;
        }
        root.put("failed_runs", r.failedRuns());
        if (gains != null) {
            double[] g = Sweep.values(gains);
            Bifurcations.Sweep sw = Bifurcations.sweepGain(m, g, input, o);
            ArrayNode path = root.putArray("gain_sweep");
            for (Bifurcations.Point p : sw.points()) {
                ObjectNode n = path.addObject();
                n.put("g", p.parameter());
                n.put("fixed_points", p.fixedPoints().size());
                n.put("lambda_c_re", p.criticalRe());
                n.put("lambda_c_im", p.criticalIm());
                n.put("mu", p.mu());
            }
            ArrayNode cr = root.putArray("crossings");
            for (Bifurcations.Crossing c : sw.crossings()) {
                ObjectNode n = cr.addObject();
                n.put("kind", c.kind().name().toLowerCase(Locale.ROOT));
                n.put("between", c.before());
                n.put("and", c.after());
                n.put("lambda_c_re", c.criticalRe());
                n.put("lambda_c_im", c.criticalIm());
            }
            if (!json) {
                out.println("gain sweep of W_hh (branch nearest the origin):");
                for (Bifurcations.Point p : sw.points()) {
                    out.printf(
                            Locale.ROOT,
                            "  g = %-10.6g fixed points %-3d lambda_c = %.8f%+.8fi  mu = %+.6f%n",
                            p.parameter(),
                            p.fixedPoints().size(),
                            p.criticalRe(),
                            p.criticalIm(),
                            p.mu());
                }
                for (Bifurcations.Crossing c : sw.crossings()) {
                    out.printf(
                            Locale.ROOT,
                            "  crossing: %s between g = %.6g and %.6g (lambda_c = %.6f%+.6fi)%n",
                            c.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                            c.before(),
                            c.after(),
                            c.criticalRe(),
                            c.criticalIm());
                }
                if (sw.crossings().isEmpty()) {
                    out.println("  no crossing of the unit circle");
                }
            }
        }
        if (channel) {
            if (r.points().isEmpty()) {
                throw new io.ntk4j.NumericalException("no fixed point found: no channel to decompose", 0);
            }
            FixedPoints.FixedPoint origin = r.points().get(0); // sorted by norm: nearest the origin
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(m, data.inputs(arena))) {
                Channel.Result ch = Channel.of(s, origin, input, arena);
                ObjectNode n = root.putObject("channel");
                n.put("mu", ch.mu());
                n.put("channel_eigenvalue", ch.channelEigenvalue());
                n.put("trace_ntk", ch.traceNtk());
                n.put("share_of_trace", ch.shareOfTrace());
                n.put("cosine_with_top_eigenvector", ch.cosineWithTopEigenvector());
                n.put("normal_form_cosine", ch.normalFormCosine());
                if (!json) {
                    out.printf(
                            Locale.ROOT,
                            "channel at fixed point 0 (mu = %+.6f): ||c||^2 = %.6g, share of tr NTK_S %.4f, "
                                    + "cos(c, top eigenvector) %.4f, normal-form cosine %.4f%n",
                            ch.mu(),
                            ch.channelEigenvalue(),
                            ch.shareOfTrace(),
                            ch.cosineWithTopEigenvector(),
                            ch.normalFormCosine());
                }
            }
        } else if (data.inputs != null || data.task != null) {
            throw new InvalidInputException("--inputs/--task are for --channel");
        }
        if (json) {
            out.println(root);
        }
        return Main.EXIT_OK;
    }
}
