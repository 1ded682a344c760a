package io.ntk4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The output options the analysis commands share: one JSON object on stdout, and a report folder. */
final class OutputOptions {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(
            names = "--report",
            paramLabel = "DIR",
            description = "also write JSON, CSV, PNG/SVG plots and index.html into DIR (must not exist or be empty)")
    Path report;
}
