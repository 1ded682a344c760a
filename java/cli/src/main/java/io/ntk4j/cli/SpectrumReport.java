package io.ntk4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code spectrum --report}: the files and plots of one spectrum (SpectrumCommand computes it). */
final class SpectrumReport {
    private SpectrumReport() {}

    /**
     * The report of {@code --report}: summary.json (the --json object), eigenvalues.csv, the spectrum
     * on a log scale with the residuals, and the cumulative share of the trace.
     */
    static void write(
            Path report,
            ObjectNode root,
            String opName,
            boolean singular,
            double[] values,
            double[] residuals,
            double trace,
            String modelText) {
        Report r = Report.create(report, "ntk4j spectrum: " + opName + " of " + modelText);
        r.key("operator", opName)
                .key("model", modelText)
                .key("method", root.get("method").asText())
                .key("top " + (singular ? "singular value" : "eigenvalue"), String.format("%.10g", values[0]))
                .key("converged", root.get("converged").asText() + " of " + values.length);
        boolean ranks = root.has("effective_rank");
        if (ranks) {
            r.key(
                            "effective rank (tr A)^2 / tr A^2",
                            String.format("%.6g", root.get("effective_rank").asDouble()))
                    .key(
                            "kpflow PR(A^2)",
                            String.format(
                                    "%.6g", root.get("effective_rank_kpflow").asDouble()));
            reportDims(r, root.get("partial_effective_dims"), "partial effective dims (true partial trace)");
            reportDims(r, root.get("partial_effective_dims_kpflow"), "partial effective dims (kpflow)");
        }
        r.key("operator applies", root.get("applies").asText())
                .key("seconds", String.format("%.3f", root.get("seconds").asDouble()));
        r.json("summary.json", root);
        List<Object[]> rows = new ArrayList<>();
        double[] idx = new double[values.length], cum = new double[values.length], res = new double[values.length];
        double acc = 0;
        for (int i = 0; i < values.length; i++) {
            double lam = singular ? values[i] * values[i] : values[i]; // P: shares of tr(P P*)
            acc += lam;
            idx[i] = i + 1;
            cum[i] = acc / trace;
            res[i] = Math.max(residuals[i], Double.MIN_NORMAL); // a log axis cannot show an exact 0
            rows.add(
                    ranks
                            ? new Object[] {i + 1, values[i], residuals[i], cum[i]}
                            : new Object[] {i + 1, values[i], residuals[i]});
        }
        String[] header = {"i", singular ? "sigma" : "lambda", "residual", "cumulative_share_of_trace"};
        r.csv("eigenvalues.csv", ranks ? header : Arrays.copyOf(header, 3), rows);
        var spec =
                Report.chart("Top of the spectrum of " + opName, "i", singular ? "singular value" : "eigenvalue", true);
        spec.addSeries(singular ? "sigma_i" : "lambda_i", idx, values.clone());
        spec.addSeries("residual ||A v - lambda v||", idx, res);
        r.plot("spectrum", spec);
        if (ranks) { // the trace comes with the ranks
            var share = Report.chart("Cumulative share of the trace", "i", "sum_{j<=i} lambda_j / tr A", false);
            share.addSeries(opName, idx, cum);
            r.plot("cumulative_variance", share);
        }
        r.finish();
    }

    private static void reportDims(Report r, com.fasterxml.jackson.databind.JsonNode d, String name) {
        String last = d.has("output") ? "output" : "hidden"; // NTK_y's last axis is the readout's
        r.key(
                name,
                String.format(
                        "batch %.6g, time %.6g, %s %.6g",
                        d.get("batch").asDouble(),
                        d.get("time").asDouble(),
                        last,
                        d.get(last).asDouble()));
    }
}
