package io.ntk4j.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.experiments.StudentTeacher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j bifurcation [--preset NAME] [--config FILE]}: the student-teacher experiment for
 * one of the codimension-one crossings ({@link StudentTeacher.Config#preset}), with other settings
 * from a JSON object with any of {@link StudentTeacher.Config}'s fields (the rest keep the preset's), e.g. {@code {"lr": 1e-4, "seeds": [4, 5], "trainSteps": 300}}; unknown keys are
 * refused.
 */
@Command(
        name = "bifurcation",
        mixinStandardHelpOptions = true,
        description =
                "Student-teacher bifurcation experiment: a preset crossing (--preset) with settings from a JSON config file.")
final class BifurcationCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", description = "JSON file with fields of the experiment's Config (over the preset's)")
    Path config;

    @Option(
            names = "--preset",
            defaultValue = "pitchfork",
            paramLabel = "NAME",
            description = "the crossing to learn: pitchfork (the demo's), long-horizon, flip, neimark-sacker,"
                    + " saddle-node (default ${DEFAULT-VALUE})")
    String preset;

    @picocli.CommandLine.Mixin
    ExperimentOutput output;

    @Override
    public Integer call() {
        StudentTeacher.Config c = config == null ? StudentTeacher.Config.preset(preset) : load(config, preset);
        if (!output.json) {
            spec.commandLine().getOut().println("ntk4j bifurcation: " + c);
        }
        return StudentTeacherReport.run(
                c,
                output.out,
                output.json,
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }

    /** The demo's defaults overlaid with the file's fields. */
    static StudentTeacher.Config load(Path file) {
        return load(file, "pitchfork");
    }

    /** The preset's settings overlaid with the file's fields. */
    static StudentTeacher.Config load(Path file, String preset) {
        ObjectMapper m = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        JsonNode given;
        try {
            given = m.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new InvalidInputException("cannot read config " + file + ": " + e.getMessage());
        }
        if (given == null || !given.isObject()) {
            throw new InvalidInputException("config " + file + " must hold one JSON object");
        }
        ObjectNode merged = m.valueToTree(StudentTeacher.Config.preset(preset));
        for (Iterator<String> it = given.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!merged.has(key)) {
                throw new InvalidInputException("config " + file + ": unknown key \"" + key + "\"; known keys: "
                        + iterable(merged.fieldNames()));
            }
            merged.set(key, given.get(key));
        }
        try {
            return m.treeToValue(merged, StudentTeacher.Config.class);
        } catch (IOException e) {
            Throwable cause = e.getCause() instanceof InvalidInputException iie ? iie : e;
            throw new InvalidInputException("config " + file + ": " + cause.getMessage());
        }
    }

    private static String iterable(Iterator<String> it) {
        StringBuilder sb = new StringBuilder();
        while (it.hasNext()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(it.next());
        }
        return sb.toString();
    }
}
