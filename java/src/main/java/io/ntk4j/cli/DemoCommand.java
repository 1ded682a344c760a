package io.ntk4j.cli;

import io.ntk4j.experiments.StudentTeacher;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j demo}: the main job, the student-teacher bifurcation experiment of
 * {@link StudentTeacher} with its defaults (three seeds): a student RNN learns a teacher past a
 * pitchfork; the crossing, the effective-rank collapse of NTK_S, the channel's share of the trace,
 * the normal-form cosine, and SGD against the low-rank natural gradient are reported.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Student-teacher bifurcation experiment with its defaults (3 seeds): training through a learned",
        "pitchfork, NTK_S effective-rank collapse, the bifurcation channel, SGD vs low-rank natural gradient."})
final class DemoCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = {"--out", "--report"}, paramLabel = "DIR",
      description = "report folder (default: ntk4j-bifurcation-<date>-<time>; must not exist or be empty)")
  Path out;

  @Option(names = "--json", description = "print one JSON object (the summary) as the last line")
  boolean json;

  @Override
  public Integer call() {
    StudentTeacher.Config c = StudentTeacher.Config.defaults();
    if (!json) {
      spec.commandLine().getOut().println("ntk4j demo: " + c);
    }
    return StudentTeacherReport.run(c, out, json, spec.commandLine().getOut(), spec.commandLine().getErr());
  }
}
