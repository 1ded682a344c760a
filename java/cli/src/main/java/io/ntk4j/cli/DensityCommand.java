package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.io.PyTorchModel;
import io.ntk4j.spectral.Estimate;
import io.ntk4j.spectral.SpectralDensity;
import io.ntk4j.spectral.SpectrumAnalysis.Target;
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

/** {@code ntk4j density}: the spectral density by stochastic Lanczos quadrature ({@link SpectralDensity}). */
@Command(
        name = "density",
        header = "The spectral density of an operator by stochastic Lanczos quadrature, with error bars.",
        mixinStandardHelpOptions = true,
        description = "SLQ (PyHessian's density()): --probes random-sign probes, --steps Lanczos steps each, run as one"
                + " block (one operator apply per step for all probes); the Gaussian-smoothed density integrates to"
                + " the dimension n, and its standard error at each point is that of the mean over the probes.")
final class DensityCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(names = "--op", defaultValue = "NTK", description = "NTK, K, PPt, NTK_y, NTK_h (default ${DEFAULT-VALUE})")
    String op;

    @Option(names = "--probes", defaultValue = "16", description = "(default ${DEFAULT-VALUE})")
    int probes;

    @Option(names = "--steps", defaultValue = "60", description = "Lanczos steps per probe (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--points", defaultValue = "400", description = "grid points (default ${DEFAULT-VALUE})")
    int points;

    @Option(
            names = "--sigma",
            defaultValue = "0",
            description = "width of the Gaussian smoothing (default 0: 1 % of the spectrum's range)")
    double sigma;

    @Option(names = "--seed", defaultValue = "1", description = "(default ${DEFAULT-VALUE})")
    long seed;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        Target target = Target.fromId(op);
        if (!target.symmetric()) {
            throw new InvalidInputException("the density needs a symmetric operator: P is not (use PPt)");
        }
        PyTorchModel.Loaded loaded = modelOption.load(spec.commandLine().getErr());
        long t0 = System.nanoTime();
        SpectralDensity.Result d;
        long n;
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(loaded.model(), data.inputs(arena))) {
            LinearOperator a = target.of(s, loaded.readout());
            n = a.rows();
            d = SpectralDensity.slq(a, probes, steps, points, sigma, seed);
        }
        for (double v : d.density()) {
            if (!Double.isFinite(v)) {
                throw new io.ntk4j.NumericalException("the density is not finite", 0);
            }
        }
        Estimate trace = d.trace(x -> x, n), square = d.trace(x -> x * x, n);
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("op", target.label());
        root.put("model", modelOption.model.toString());
        root.put("dimension", n);
        root.put("probes", probes);
        root.put("steps", d.steps());
        root.put("sigma", d.sigma());
        root.put("applies", d.applies());
        root.put("trace", trace.value());
        root.put("trace_std_error", trace.stdError());
        root.put("trace_of_square", square.value());
        root.put("trace_of_square_std_error", square.stdError());
        ArrayNode g = root.putArray("grid"), de = root.putArray("density"), se = root.putArray("std_error");
        for (int i = 0; i < d.grid().length; i++) {
            g.add(d.grid()[i]);
            de.add(d.density()[i]);
            se.add(d.stdError()[i]);
        }
        root.put("seconds", (System.nanoTime() - t0) / 1e9);
        if (output.report != null) {
            write(output.report, root, d);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(root.toString());
        } else {
            double lo = d.grid()[0], hi = d.grid()[d.grid().length - 1];
            out.printf(
                    Locale.ROOT,
                    "density of %s (n = %d) by SLQ: %d probes x %d steps, sigma %.3g, on [%.4g, %.4g]%n"
                            + "  tr = %.6g +- %.2g, tr A^2 = %.6g +- %.2g (%d applies)%s%n",
                    target.label(),
                    n,
                    probes,
                    d.steps(),
                    d.sigma(),
                    lo,
                    hi,
                    trace.value(),
                    trace.stdError(),
                    square.value(),
                    square.stdError(),
                    d.applies(),
                    output.report != null ? "; report in " + output.report.toAbsolutePath() : "");
        }
        return Main.EXIT_OK;
    }

    private static void write(Path dir, ObjectNode root, SpectralDensity.Result d) {
        Report r = Report.create(
                dir, "ntk4j density: spectral density of " + root.get("op").asText() + " by SLQ");
        r.key("model", root.get("model").asText())
                .key(
                        "probes x steps",
                        root.get("probes").asText() + " x " + root.get("steps").asText())
                .key("sigma", String.format(Locale.ROOT, "%.4g", d.sigma()));
        r.json("density.json", root);
        List<Object[]> rows = new ArrayList<>();
        int k = d.grid().length;
        double[] upper = new double[k], lower = new double[k];
        double max = 0, min = Double.MAX_VALUE;
        for (int i = 0; i < k; i++) {
            rows.add(new Object[] {d.grid()[i], d.density()[i], d.stdError()[i]});
            upper[i] = d.density()[i] + 2 * d.stdError()[i];
            lower[i] = Math.max(d.density()[i] - 2 * d.stdError()[i], 0);
            max = Math.max(max, d.density()[i]);
            if (d.density()[i] > 0) {
                min = Math.min(min, d.density()[i]);
            }
        }
        r.csv("density.csv", new String[] {"t", "density", "std_error"}, rows);
        // The density spans decades where the spectrum has a long tail: log scale from 1e-6 of the peak.
        boolean log = max >= 100 * min;
        double floor = 1e-6 * max;
        XYChart chart = Report.chart(
                "Spectral density of " + root.get("op").asText() + " (SLQ), +- 2 standard errors",
                "eigenvalue",
                "density (integrates to n)",
                log);
        double[] dens = d.density().clone();
        if (log) {
            for (int i = 0; i < k; i++) {
                dens[i] = Math.max(dens[i], floor);
                upper[i] = Math.max(upper[i], floor);
                lower[i] = Math.max(lower[i], floor);
            }
        }
        chart.getStyler().setXAxisDecimalPattern("0.###E0");
        java.awt.Color bandColor = new java.awt.Color(120, 120, 120), mainColor = new java.awt.Color(31, 119, 180);
        XYSeries band = chart.addSeries("+- 2 standard errors", d.grid(), upper, null);
        band.setLineColor(bandColor);
        band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        band.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
        band.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        XYSeries low = chart.addSeries("- 2 standard errors", d.grid(), lower, null);
        low.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
        low.setLineColor(bandColor);
        low.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        low.setShowInLegend(false);
        XYSeries main = chart.addSeries("density", d.grid(), dens, null);
        main.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        main.setLineColor(mainColor);
        if (log) {
            r.key("log scale", "densities below 1e-6 of the peak are drawn at that floor");
        }
        r.plot("density", chart);
        r.finish();
    }
}
