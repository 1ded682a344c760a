package io.ntk4j.cli;

import io.ntk4j.experiments.StudentTeacher;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

  @picocli.CommandLine.Mixin ExperimentOutput output;

  @Override
  public Integer call() {
    StudentTeacher.Config c = StudentTeacher.Config.defaults();
    if (!output.json) {
      spec.commandLine().getOut().println("ntk4j demo: " + c);
    }
    return StudentTeacherReport.run(c, output.out, output.json, spec.commandLine().getOut(), spec.commandLine().getErr());
  }
}
