package io.ntk4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The output options of the student-teacher experiment's commands ({@code demo}, {@code bifurcation}). */
final class ExperimentOutput {
    @Option(
            names = {"--out", "--report"},
            paramLabel = "DIR",
            description = "report folder (default: ntk4j-bifurcation-<date>-<time>; must not exist or be empty)")
    Path out;

    @Option(names = "--json", description = "print one JSON object (the summary) as the last line")
    boolean json;
}
