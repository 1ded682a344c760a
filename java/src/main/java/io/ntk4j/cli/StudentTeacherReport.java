package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.experiments.StudentTeacher;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.experiments.StudentTeacher.Crossing;
import io.ntk4j.experiments.StudentTeacher.Record;
import io.ntk4j.experiments.StudentTeacher.Run;
import io.ntk4j.experiments.StudentTeacher.SeedResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Runs the student-teacher experiment and reports it (shared by {@code demo} and
 * {@code bifurcation --config}): a summary table on the terminal, and JSON, CSV and PNG files in an
 * output folder (written to a temporary sibling first and moved into place whole).
 */
final class StudentTeacherReport {
  private StudentTeacherReport() {}

  static int run(StudentTeacher.Config config, Path outOrNull, boolean json, PrintWriter out, PrintWriter err) {
    Path dir = outOrNull != null ? outOrNull
        : Path.of("ntk4j-bifurcation-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(dir) && !isEmptyDir(dir)) {
      throw new InvalidInputException("output folder " + dir + " exists and is not empty: choose another --out");
    }
    long t0 = System.nanoTime();
    List<SeedResult> results = StudentTeacher.run(config, line -> {
      if (!json) {
        out.println("  " + line);
        out.flush();
      }
    });
    double seconds = (System.nanoTime() - t0) / 1e9;
    ObjectNode summary = summary(config, results, seconds);
    write(dir, config, results, summary);
    if (json) {
      out.println(summary.toString());
    } else {
      table(results, out);
      out.printf(Locale.ROOT, "  %d seeds in %.1f s; JSON, CSV and PNG in %s%n", results.size(), seconds,
          dir.toAbsolutePath());
    }
    return Main.EXIT_OK;
  }

  private static boolean isEmptyDir(Path dir) {
    try (var s = Files.list(dir)) {
      return Files.isDirectory(dir) && s.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  private static void table(List<SeedResult> results, PrintWriter out) {
    out.println();
    out.println("  seed  crossing                      step  eff.rank before/at/after  collapse  channel share  normal-form cos");
    for (SeedResult r : results) {
      Crossing c = r.crossing();
      if (c == null) {
        out.printf(Locale.ROOT, "  %4d  none detected%n", r.seed());
        continue;
      }
      out.printf(Locale.ROOT, "  %4d  %-28s  %4d  %6.2f / %6.2f / %6.2f    %6.3f    %8.3f       %8.3f%n", r.seed(),
          c.kind().length() > 28 ? c.kind().substring(0, 28) : c.kind(), c.step(), c.before().effectiveRank(),
          c.at().effectiveRank(), c.after().effectiveRank(), c.collapseRatio(), c.at().channelShare(),
          c.at().normalFormCosine());
    }
    out.println();
    out.println("  seed  method       final loss   teacher loss  max loss spike  steps to teacher loss  s/step");
    for (SeedResult r : results) {
      for (Run run : new Run[] {r.sgd(), r.lowRankNg()}) {
        int st = run.stepsTo(r.teacherLoss());
        out.printf(Locale.ROOT, "  %4d  %-11s  %11.4g  %12.4g  %14.4g  %21s  %.4f%s%n", r.seed(), run.method(),
            run.finalLoss(), r.teacherLoss(), run.maxLossSpike(), st < 0 ? "never" : Integer.toString(st),
            run.secondsPerStep(), run.diverged() ? "  DIVERGED at step " + run.divergedAt()
                + " (last good parameters kept in students/seed" + r.seed() + "_" + run.method() + ")" : "");
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
    for (String key : new String[] {"crossing_step", "crossing_kind", "effective_rank", "collapse_ratio",
        "channel_share_at_crossing", "normal_form_cosine", "sgd", "lowrank_ng"}) {
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

  private static void write(Path dir, StudentTeacher.Config config, List<SeedResult> results, ObjectNode summary) {
    try {
      Path parent = dir.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempDirectory(parent, ".ntk4j-partial-");
      ObjectMapper m = new ObjectMapper();
      m.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("summary.json").toFile(), summary);
      m.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("config.json").toFile(), config);
      for (SeedResult r : results) {
        writeRecords(tmp.resolve("records_seed" + r.seed() + ".csv"), r.records());
        writeLosses(tmp.resolve("losses_seed" + r.seed() + ".csv"), r);
        for (Run run : new Run[] {r.sgd(), r.lowRankNg()}) {  // the trained students (last good parameters)
          ModelDirectory.write(tmp.resolve("students").resolve("seed" + r.seed() + "_" + run.method()), run.last(), null);
        }
      }
      plots(tmp, results);
      if (Files.exists(dir)) {
        Files.delete(dir);  // empty (checked before the run)
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      try {  // temporary directories are created owner-only; the report is an ordinary folder
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: keep its defaults
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void writeRecords(Path file, List<Record> records) throws IOException {
    StringBuilder sb = new StringBuilder("step,loss,lambda_c,mu,effective_rank,kpflow_pr_a2,lambda1,lambda2,lambda3,"
        + "lambda4,lambda5,trace_ntk,channel_eigenvalue,channel_share,cosine_channel_top,normal_form_cosine,"
        + "stable_fixed_points\n");
    for (Record r : records) {
      sb.append(r.step()).append(',').append(r.loss()).append(',').append(r.lambdaC()).append(',').append(r.mu())
          .append(',').append(r.effectiveRank()).append(',').append(r.kpflowRank());
      for (int i = 0; i < 5; i++) {
        sb.append(',').append(i < r.topEigenvalues().length ? Double.toString(r.topEigenvalues()[i]) : "");
      }
      sb.append(',').append(r.traceNtk()).append(',').append(r.channelEigenvalue()).append(',')
          .append(r.channelShare()).append(',').append(r.cosineWithTop()).append(',').append(r.normalFormCosine())
          .append(',').append(r.stableFixedPoints()).append('\n');
    }
    Files.writeString(file, sb.toString());
  }

  private static void writeLosses(Path file, SeedResult r) throws IOException {
    StringBuilder sb = new StringBuilder("step,sgd,lowrank_ng\n");
    List<Double> a = r.sgd().losses(), b = r.lowRankNg().losses();
    for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
      sb.append(i).append(',').append(i < a.size() ? a.get(i).toString() : "").append(',')
          .append(i < b.size() ? b.get(i).toString() : "").append('\n');
    }
    Files.writeString(file, sb.toString());
  }

  private static void plots(Path dir, List<SeedResult> results) throws IOException {
    XYChart er = chart("Effective rank of NTK_S (SGD run)", "training step", "(tr A)^2 / tr A^2", false);
    XYChart mu = chart("Distance to bifurcation mu = |lambda_c| - 1 (origin)", "training step", "mu", false);
    XYChart loss = chart("Loss: SGD vs low-rank natural gradient", "training step", "loss", true);
    for (SeedResult r : results) {
      List<Double> steps = new ArrayList<>(), ers = new ArrayList<>(), mus = new ArrayList<>();
      for (Record rec : r.records()) {
        steps.add((double) rec.step());
        ers.add(rec.effectiveRank());
        mus.add(rec.mu());
      }
      er.addSeries("seed " + r.seed(), steps, ers);
      mu.addSeries("seed " + r.seed(), steps, mus);
      for (Run run : new Run[] {r.sgd(), r.lowRankNg()}) {
        List<Double> x = new ArrayList<>();
        for (int i = 0; i < run.losses().size(); i++) {
          x.add((double) i);
        }
        loss.addSeries(run.method() + " seed " + r.seed(), x, run.losses());
      }
    }
    BitmapEncoder.saveBitmap(er, dir.resolve("effective_rank.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    BitmapEncoder.saveBitmap(mu, dir.resolve("mu.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    BitmapEncoder.saveBitmap(loss, dir.resolve("loss.png").toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static XYChart chart(String title, String x, String y, boolean logY) {
    XYChart c = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle(x).yAxisTitle(y).build();
    c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    c.getStyler().setMarkerSize(0);
    c.getStyler().setYAxisLogarithmic(logY);
    return c;
  }
}
