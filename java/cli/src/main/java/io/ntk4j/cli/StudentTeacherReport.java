package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.experiments.StudentTeacher;
import io.ntk4j.experiments.StudentTeacher.Crossing;
import io.ntk4j.experiments.StudentTeacher.Record;
import io.ntk4j.experiments.StudentTeacher.Run;
import io.ntk4j.experiments.StudentTeacher.SeedResult;
import io.ntk4j.io.ModelDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;

/**
 * Runs the student-teacher experiment and reports it (shared by {@code demo} and
 * {@code bifurcation --config}): a summary table on the terminal, and JSON, CSV and PNG files in an
 * output folder (written to a temporary sibling first and moved into place whole).
 */
final class StudentTeacherReport {
    private StudentTeacherReport() {}

    static int run(StudentTeacher.Config config, Path outOrNull, boolean json, PrintWriter out, PrintWriter err) {
        Path dir = outOrNull != null
                ? outOrNull
                : Path.of("ntk4j-bifurcation-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Report report = Report.create(dir, "ntk4j student-teacher bifurcation experiment");
        long t0 = System.nanoTime();
        List<SeedResult> results = StudentTeacher.run(config, line -> {
            if (!json) {
                out.println("  " + line);
                out.flush();
            }
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode summary = summary(config, results, seconds);
        write(report, config, results, summary);
        if (json) {
            out.println(summary.toString());
        } else {
            table(results, out);
            out.printf(
                    Locale.ROOT,
                    "  %d seeds in %.1f s; report (index.html, JSON, CSV, PNG, SVG) in %s%n",
                    results.size(),
                    seconds,
                    dir.toAbsolutePath());
        }
        return Main.EXIT_OK;
    }

    private static void table(List<SeedResult> results, PrintWriter out) {
        out.println();
        out.println(
                "  seed  crossing                                      step  eff.rank before/at/after  collapse  channel share"
                        + "  normal-form cos");
        for (SeedResult r : results) {
            Crossing c = r.crossing();
            if (c == null) {
                out.printf(Locale.ROOT, "  %4d  none detected%n", r.seed());
                continue;
            }
            out.printf(
                    Locale.ROOT,
                    "  %4d  %-44s  %4d  %6.2f / %6.2f / %6.2f    %6.3f    %8.3f       %8.3f%n",
                    r.seed(),
                    c.kind(),
                    c.step(),
                    c.before().effectiveRank(),
                    c.at().effectiveRank(),
                    c.after().effectiveRank(),
                    c.collapseRatio(),
                    c.at().channelShare(),
                    c.at().normalFormCosine());
        }
        out.println();
        out.println("  seed  method       final loss   teacher loss  max loss spike  steps to teacher loss  s/step");
        for (SeedResult r : results) {
            for (Run run : new Run[] {r.sgd(), r.lowRankNg()}) {
                int st = run.stepsTo(r.teacherLoss());
                out.printf(
                        Locale.ROOT,
                        "  %4d  %-11s  %11.4g  %12.4g  %14.4g  %21s  %.4f%s%n",
                        r.seed(),
                        run.method(),
                        run.finalLoss(),
                        r.teacherLoss(),
                        run.maxLossSpike(),
                        st < 0 ? "never" : Integer.toString(st),
                        run.secondsPerStep(),
                        run.diverged()
                                ? "  DIVERGED at step " + run.divergedAt()
                                        + " (last good parameters kept in students/seed" + r.seed() + "_" + run.method()
                                        + ")"
                                : "");
            }
        }
    }

    static ObjectNode summary(StudentTeacher.Config config, List<SeedResult> results, double seconds) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        ArrayNode seeds = root.putArray("seeds");
        for (SeedResult r : results) {
            seeds.add(seedSummary(m, r));
        }
        // The headline fields are those of the first seed with a detected crossing (the first seed if none).
        SeedResult head = results.get(0);
        for (SeedResult r : results) {
            if (r.crossing() != null) {
                head = r;
                break;
            }
        }
        ObjectNode h = seedSummary(m, head);
        root.put("headline_seed", head.seed());
        for (String key : new String[] {
            "crossing_step",
            "crossing_kind",
            "effective_rank",
            "collapse_ratio",
            "channel_share_at_crossing",
            "normal_form_cosine",
            "sgd",
            "lowrank_ng"
        }) {
            root.set(key, h.get(key));
        }
        root.put("seconds", seconds);
        root.set("config", m.valueToTree(config));
        return root;
    }

    private static ObjectNode seedSummary(ObjectMapper m, SeedResult r) {
        ObjectNode s = m.createObjectNode();
        s.put("seed", r.seed());
        Crossing c = r.crossing();
        if (c == null) {
            s.putNull("crossing_step");
            s.putNull("crossing_kind");
            s.putNull("effective_rank");
            s.putNull("collapse_ratio");
            s.putNull("channel_share_at_crossing");
            s.putNull("normal_form_cosine");
        } else {
            s.put("crossing_step", c.step());
            s.put("crossing_kind", c.kind());
            ObjectNode er = s.putObject("effective_rank");
            er.put("before", c.before().effectiveRank());
            er.put("at", c.at().effectiveRank());
            er.put("after", c.after().effectiveRank());
            er.put("before_step", c.before().step());
            er.put("after_step", c.after().step());
            s.put("collapse_ratio", c.collapseRatio());
            number(s, "channel_share_at_crossing", c.at().channelShare());
            number(s, "normal_form_cosine", c.at().normalFormCosine());
            number(s, "cosine_channel_top_eigenvector", c.at().cosineWithTop());
            s.put("mu_at_crossing", c.at().mu());
        }
        s.put("teacher_loss", r.teacherLoss());
        for (Run run : new Run[] {r.sgd(), r.lowRankNg()}) {
            ObjectNode o = s.putObject(run.method());
            o.put("final_loss", run.finalLoss());
            number(o, "max_loss_spike", run.maxLossSpike());
            int st = run.stepsTo(r.teacherLoss());
            if (st < 0) {
                o.putNull("steps_to_teacher_loss");
            } else {
                o.put("steps_to_teacher_loss", st);
            }
            o.put("seconds_per_step", run.secondsPerStep());
            o.put("diverged", run.diverged());
            if (run.diverged()) {
                o.put("diverged_at_step", run.divergedAt());
            }
            if (run.extraVectorApplies() > 0) {
                o.put("lanczos_vectors", run.extraVectorApplies());
            }
        }
        s.put("seconds_per_step_ratio", r.lowRankNg().secondsPerStep() / r.sgd().secondsPerStep());
        return s;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    private static void write(Report rep, StudentTeacher.Config config, List<SeedResult> results, ObjectNode summary) {
        try {
            Path tmp = rep.staging();
            ObjectMapper m = new ObjectMapper();
            rep.json("summary.json", summary).json("config.json", m.valueToTree(config));
            for (SeedResult r : results) {
                writeRecords(tmp.resolve("records_seed" + r.seed() + ".csv"), r.records());
                writeLosses(tmp.resolve("losses_seed" + r.seed() + ".csv"), r);
                rep.file("records_seed" + r.seed() + ".csv").file("losses_seed" + r.seed() + ".csv");
                for (Run run : new Run[] {r.sgd(), r.lowRankNg()}) { // the trained students (last good parameters)
                    ModelDirectory.write(
                            tmp.resolve("students").resolve("seed" + r.seed() + "_" + run.method()), run.last(), null);
                }
            }
            rep.file("students");
            JsonNode h = summary;
            rep.key("headline seed", h.get("headline_seed").asText())
                    .key(
                            "crossing",
                            h.get("crossing_kind").isNull()
                                    ? "none detected"
                                    : h.get("crossing_kind").asText() + " at step "
                                            + h.get("crossing_step").asText());
            if (!h.get("effective_rank").isNull()) {
                rep.key(
                                "effective rank before / at / after",
                                String.format(
                                        Locale.ROOT,
                                        "%.3f / %.3f / %.3f",
                                        h.get("effective_rank").get("before").asDouble(),
                                        h.get("effective_rank").get("at").asDouble(),
                                        h.get("effective_rank").get("after").asDouble()))
                        .key(
                                "collapse ratio (at / before)",
                                String.format(
                                        Locale.ROOT,
                                        "%.3f",
                                        h.get("collapse_ratio").asDouble()))
                        .key(
                                "channel share of tr NTK_S at the crossing",
                                h.get("channel_share_at_crossing").asText())
                        .key("normal-form cosine", h.get("normal_form_cosine").asText());
            }
            for (String method : new String[] {"sgd", "lowrank_ng"}) {
                JsonNode r = h.get(method);
                rep.key(
                        method,
                        String.format(
                                Locale.ROOT,
                                "final loss %.4g, largest spike %.4g, steps to teacher loss %s, " + "%.2f ms/step",
                                r.get("final_loss").asDouble(),
                                r.get("max_loss_spike").asDouble(),
                                r.get("steps_to_teacher_loss").isNull()
                                        ? "never"
                                        : r.get("steps_to_teacher_loss").asText(),
                                1e3 * r.get("seconds_per_step").asDouble()));
            }
            plots(rep, results);
            rep.finish();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the report: " + e.getMessage(), e);
        }
    }

    private static void writeRecords(Path file, List<Record> records) throws IOException {
        StringBuilder sb =
                new StringBuilder("step,loss,lambda_c,mu,effective_rank,kpflow_pr_a2,lambda1,lambda2,lambda3,"
                        + "lambda4,lambda5,trace_ntk,channel_eigenvalue,channel_share,cosine_channel_top,normal_form_cosine,"
                        + "stable_fixed_points\n");
        for (Record r : records) {
            sb.append(r.step())
                    .append(',')
                    .append(r.loss())
                    .append(',')
                    .append(r.lambdaC())
                    .append(',')
                    .append(r.mu())
                    .append(',')
                    .append(r.effectiveRank())
                    .append(',')
                    .append(r.kpflowRank());
            for (int i = 0; i < 5; i++) {
                sb.append(',').append(i < r.topEigenvalues().length ? Double.toString(r.topEigenvalues()[i]) : "");
            }
            sb.append(',')
                    .append(r.traceNtk())
                    .append(',')
                    .append(r.channelEigenvalue())
                    .append(',')
                    .append(r.channelShare())
                    .append(',')
                    .append(r.cosineWithTop())
                    .append(',')
                    .append(r.normalFormCosine())
                    .append(',')
                    .append(r.stableFixedPoints())
                    .append('\n');
        }
        Files.writeString(file, sb.toString());
    }

    private static void writeLosses(Path file, SeedResult r) throws IOException {
        StringBuilder sb = new StringBuilder("step,sgd,lowrank_ng\n");
        List<Double> a = r.sgd().losses(), b = r.lowRankNg().losses();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            sb.append(i)
                    .append(',')
                    .append(i < a.size() ? a.get(i).toString() : "")
                    .append(',')
                    .append(i < b.size() ? b.get(i).toString() : "")
                    .append('\n');
        }
        Files.writeString(file, sb.toString());
    }

    private static void plots(Report rep, List<SeedResult> results) {
        XYChart er = Report.chart("Effective rank of NTK_S (SGD run)", "training step", "(tr A)^2 / tr A^2", false);
        XYChart mu = Report.chart("Distance to bifurcation mu = |lambda_c| - 1 (origin)", "training step", "mu", false);
        XYChart loss = Report.chart("Loss: SGD vs low-rank natural gradient", "training step", "loss", true);
        XYChart plane = Report.chart(
                "Critical eigenvalue of the origin in the complex plane", "Re lambda_c", "Im lambda_c", false);
        double[] cx = new double[181], cy = new double[181];
        for (int i = 0; i <= 180; i++) {
            cx[i] = Math.cos(2 * Math.PI * i / 180);
            cy[i] = Math.sin(2 * Math.PI * i / 180);
        }
        plane.addSeries("unit circle", cx, cy).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
        for (SeedResult r : results) {
            List<Double> steps = new ArrayList<>(),
                    ers = new ArrayList<>(),
                    mus = new ArrayList<>(),
                    re = new ArrayList<>(),
                    im = new ArrayList<>();
            for (Record rec : r.records()) {
                steps.add((double) rec.step());
                ers.add(rec.effectiveRank());
                mus.add(rec.mu());
                if (Double.isFinite(rec.lambdaC()) && Double.isFinite(rec.lambdaCIm())) {
                    re.add(rec.lambdaC());
                    im.add(rec.lambdaCIm());
                }
            }
            er.addSeries("seed " + r.seed(), steps, ers).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            mu.addSeries("seed " + r.seed(), steps, mus).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            if (!re.isEmpty()) {
                plane.addSeries("seed " + r.seed(), re, im)
                        .setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
            }
            for (Run run : new Run[] {r.sgd(), r.lowRankNg()}) {
                List<Double> x = new ArrayList<>();
                for (int i = 0; i < run.losses().size(); i++) {
                    x.add((double) i);
                }
                loss.addSeries(run.method() + " seed " + r.seed(), x, run.losses())
                        .setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            }
        }
        rep.plot("effective_rank", er).plot("mu", mu).plot("loss", loss).plot("critical_eigenvalues", plane);
    }
}
