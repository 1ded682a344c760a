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
 * {@code ntk4j bifurcation --config FILE}: the student-teacher experiment with other settings. The
 * file is a JSON object with any of {@link StudentTeacher.Config}'s fields (the rest keep the
 * demo's defaults), e.g. {@code {"lr": 1e-4, "seeds": [4, 5], "trainSteps": 300}}; unknown keys are
 * refused.
 */
@Command(
        name = "bifurcation",
        mixinStandardHelpOptions = true,
        description = "Student-teacher bifurcation experiment with the settings of a JSON config file.")
final class BifurcationCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", required = true, description = "JSON file with fields of the experiment's Config")
    Path config;

    @picocli.CommandLine.Mixin
    ExperimentOutput output;

    @Override
    public Integer call() {
        StudentTeacher.Config c = load(config);
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

    /** The defaults overlaid with the file's fields. */
    static StudentTeacher.Config load(Path file) {
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
        ObjectNode merged = m.valueToTree(StudentTeacher.Config.defaults());
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
