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
@Command(
        name = "demo",
        header = "The main job: the student-teacher bifurcation experiment (3 seeds, about a minute).",
        mixinStandardHelpOptions = true,
        description =
                "Trains a student RNN through a learned pitchfork with SGD and with the low-rank natural gradient, "
                        + "and reports the crossing, the NTK_S effective-rank collapse, the bifurcation channel and a report folder.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ExperimentOutput output;

    @picocli.CommandLine.Option(
            names = "--preset",
            defaultValue = "default",
            paramLabel = "NAME",
            description = "default (the pitchfork, T = 60, about a minute), long-horizon (T = 300 and a record every"
                    + " step, where the channel can dominate; about four minutes), or another crossing: flip,"
                    + " neimark-sacker, saddle-node")
    String preset;

    /** The configuration a preset names ({@code default} is {@code pitchfork}). */
    static StudentTeacher.Config preset(String name) {
        return StudentTeacher.Config.preset(name.equals("default") ? "pitchfork" : name);
    }

    @Override
    public Integer call() {
        StudentTeacher.Config c = preset(preset);
        if (!output.json) {
            spec.commandLine().getOut().println("ntk4j demo: " + c);
        }
        return StudentTeacherReport.run(
                c,
                output.out,
                output.json,
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }
}
