package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.experiments.Sweep;
import io.ntk4j.spectral.SpectrumAnalysis;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeMap;

/** What {@code sweep} writes: its points as JSON lines and CSV, its console lines and its report. */
final class SweepOutput {
    private SweepOutput() {}

    /**
     * Effective rank and partial effective dimensions against the swept parameter, as a report in
     * {@code report}; {@code out} holds the sweep's points.csv, {@code probes} the probe budget of a
     * randomized sweep, {@code byCheckpoint} whether the points are checkpoints (else gains).
     */
    static void writeReport(
            Path report,
            Path out,
            long probes,
            boolean byCheckpoint,
            ObjectNode config,
            TreeMap<Integer, JsonNode> done,
            SpectrumAnalysis.Target kind)
            throws IOException {
        Report r = Report.create(
                report,
                "ntk4j sweep: " + kind + " along " + config.get("source").asText());
        ObjectMapper m = new ObjectMapper();
        ObjectNode all = m.createObjectNode();
        all.set("config", config);
        ArrayNode pts = all.putArray("points");
        done.values().forEach(pts::add);
        r.key("operator", kind.name())
                .key("points", Integer.toString(done.size()))
                .key("method", config.get("exact").asBoolean() ? "exact" : "randomized (" + probes + " probes)");
        r.json("sweep.json", all);
        Files.copy(out.resolve("points.csv"), r.staging().resolve("points.csv"));
        r.file("points.csv");
        int n = done.size();
        double[] x = new double[n],
                er = new double[n],
                b = new double[n],
                t = new double[n],
                h = new double[n],
                kb = new double[n],
                kt = new double[n],
                pr = new double[n];
        boolean kron = true;
        int i = 0;
        for (JsonNode p : done.values()) {
            x[i] = p.get("parameter").asDouble();
            er[i] = p.get("effective_rank").asDouble();
            b[i] = p.get("partial_effective_dims").get("batch").asDouble();
            t[i] = p.get("partial_effective_dims").get("time").asDouble();
            h[i] = p.get("partial_effective_dims").get("hidden").asDouble();
            JsonNode k = p.get("kronecker_prediction");
            kron &= k != null;
            if (k != null) {
                kb[i] = k.get("batch").asDouble();
                kt[i] = k.get("time").asDouble();
                pr[i] = k.get("pr_gamma_squared").asDouble();
            }
            i++;
        }
        String xName = byCheckpoint ? "checkpoint step" : "gain g of W_hh";
        var rank = Report.chart("Effective rank (tr A)^2 / tr A^2 of " + kind, xName, "effective rank", false);
        rank.addSeries(kind.name(), x, er);
        r.plot("effective_rank", rank);
        var dims = Report.chart(
                "Partial effective dimensions of " + kind + " (true partial trace)", xName, "dimension", false);
        dims.addSeries("batch", x, b);
        dims.addSeries("time", x, t);
        dims.addSeries("hidden", x, h);
        if (kron) {
            dims.addSeries("batch (Kronecker core)", x, kb);
            dims.addSeries("time (Kronecker core)", x, kt);
            dims.addSeries("PR(Gamma^2), keep (b,t)", x, pr);
        }
        r.plot("partial_effective_dims", dims);
        r.finish();
    }

    static String line(Sweep.Point p) {
        return String.format(
                Locale.ROOT,
                "  %-16s PR %10.4f  dims batch %8.4f time %8.4f hidden %8.4f%s  (%.2f s)",
                p.label(),
                p.effectiveRank(),
                p.dims()[0],
                p.dims()[1],
                p.dims()[2],
                p.prediction() == null
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                "  Kronecker: batch %8.4f time %8.4f PR(Gamma^2) %8.4f",
                                p.prediction().batch(),
                                p.prediction().time(),
                                p.prediction().prGammaSquared()),
                p.seconds());
    }

    static ObjectNode toJson(ObjectMapper m, Sweep.Point p) {
        ObjectNode o = m.createObjectNode();
        o.put("index", p.index());
        o.put("parameter", p.parameter());
        o.put("label", p.label());
        o.put("effective_rank", p.effectiveRank());
        ObjectNode d = o.putObject("partial_effective_dims");
        d.put("batch", p.dims()[0]);
        d.put("time", p.dims()[1]);
        d.put("hidden", p.dims()[2]);
        ObjectNode dk = o.putObject("partial_effective_dims_kpflow");
        dk.put("batch", p.dimsKpflow()[0]);
        dk.put("time", p.dimsKpflow()[1]);
        dk.put("hidden", p.dimsKpflow()[2]);
        if (p.prediction() != null) {
            ObjectNode k = o.putObject("kronecker_prediction");
            k.put("batch", p.prediction().batch());
            k.put("time", p.prediction().time());
            k.put("hidden", p.prediction().hidden());
            k.put("batch_kpflow", p.prediction().batchKpflow());
            k.put("time_kpflow", p.prediction().timeKpflow());
            k.put("pr_gamma_squared", p.prediction().prGammaSquared());
        }
        o.put("worst_relative_error", p.worstRelativeError());
        o.put("accuracy_met", p.accuracyMet());
        o.put("seconds", p.seconds());
        return o;
    }

    static void writeCsv(TreeMap<Integer, JsonNode> done, Path file) {
        StringBuilder sb = new StringBuilder(
                "index,parameter,label,effective_rank,dim_batch,dim_time,dim_hidden,"
                        + "dim_batch_kpflow,dim_time_kpflow,dim_hidden_kpflow,kron_batch,kron_time,kron_hidden,kron_pr_gamma2,seconds\n");
        for (JsonNode p : done.values()) {
            JsonNode d = p.get("partial_effective_dims"),
                    dk = p.get("partial_effective_dims_kpflow"),
                    k = p.get("kronecker_prediction");
            sb.append(p.get("index").asInt())
                    .append(',')
                    .append(p.get("parameter").asDouble())
                    .append(',')
                    .append(p.get("label").asText())
                    .append(',')
                    .append(p.get("effective_rank").asDouble())
                    .append(',')
                    .append(d.get("batch").asDouble())
                    .append(',')
                    .append(d.get("time").asDouble())
                    .append(',')
                    .append(d.get("hidden").asDouble())
                    .append(',')
                    .append(dk.get("batch").asDouble())
                    .append(',')
                    .append(dk.get("time").asDouble())
                    .append(',')
                    .append(dk.get("hidden").asDouble())
                    .append(',')
                    .append(k == null ? "" : k.get("batch").asText())
                    .append(',')
                    .append(k == null ? "" : k.get("time").asText())
                    .append(',')
                    .append(k == null ? "" : k.get("hidden").asText())
                    .append(',')
                    .append(k == null ? "" : k.get("pr_gamma_squared").asText())
                    .append(',')
                    .append(p.get("seconds").asDouble())
                    .append('\n');
        }
        try {
            io.ntk4j.io.TemporaryFiles.writeAtomically(
                    file, sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
