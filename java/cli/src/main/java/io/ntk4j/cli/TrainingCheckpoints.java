package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import io.ntk4j.Tensor;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.Npy;
import io.ntk4j.io.PyTorchModel;
import io.ntk4j.io.TemporaryFiles;
import io.ntk4j.training.Optimizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code train}'s checkpoints of a model directory run (issue 13): OUT/checkpoints/step_N holds the
 * model and readout, the losses so far and the optimizer's state (training_state.json,
 * optimizer_m.npy, optimizer_v.npy), written into a hidden staging folder and renamed whole, so a
 * checkpoint is either complete or absent; {@code --resume} continues from the last one and gives
 * the same trajectory as a run that was never interrupted.
 */
final class TrainingCheckpoints {
    static final String STATE = "training_state.json";
    private static final Pattern STEP = Pattern.compile("step_(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingCheckpoints() {}

    /** A checkpoint to continue from. */
    record Resumed(int step, Model model, Readout readout, Optimizer.State state, List<Double> losses, Path from) {}

    /** Writes the checkpoint of {@code step} to {@code target} whole. */
    static void write(Path target, Model m, Readout r, Optimizer o, List<Double> losses, int step) {
        try {
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path staging = TemporaryFiles.createDirectory(parent, "." + target.getFileName() + ".");
            try {
                ModelDirectory.write(staging, m, r);
                Optimizer.State s = o.state();
                ObjectNode root = JSON.createObjectNode();
                root.put("step", step);
                root.put("optimizer", o.kind().id());
                root.put("lr", o.lr());
                root.put("momentum", o.momentum());
                root.put("optimizer_step", s.step());
                ArrayNode ls = root.putArray("losses");
                losses.forEach(ls::add);
                try (Arena arena = Arena.ofConfined()) {
                    if (s.m() != null) {
                        Npy.write(staging.resolve("optimizer_m.npy"), Tensor.of(arena, s.m(), s.m().length));
                        Npy.write(staging.resolve("optimizer_v.npy"), Tensor.of(arena, s.v(), s.v().length));
                    }
                }
                Files.writeString(
                        staging.resolve(STATE),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
                if (Files.exists(target)) { // a checkpoint of an earlier run into the same --out
                    TemporaryFiles.deleteTree(target);
                }
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                TemporaryFiles.done(staging);
                if (Files.exists(staging)) {
                    TemporaryFiles.deleteTree(staging);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    /**
     * The last complete checkpoint in {@code out}/checkpoints, checked against the optimizer settings
     * of this run (a resumed run must be the same run).
     */
    static Resumed latest(Path out, Optimizer.Kind kind, double lr, double momentum) {
        Path dir = out.resolve("checkpoints");
        List<Path> steps = stepDirs(dir, STATE);
        if (steps.isEmpty()) {
            throw new InvalidInputException(
                    "--resume: no complete checkpoint in " + dir + " (train with --checkpoint-every n first)");
        }
        Path last = steps.get(steps.size() - 1);
        JsonNode st;
        try {
            st = JSON.readTree(Files.readString(last.resolve(STATE)));
        } catch (IOException e) {
            throw new InvalidInputException(last.resolve(STATE) + ": not readable (" + e.getMessage() + "); remove "
                    + last + " to resume from the checkpoint before it");
        }
        String where = last.resolve(STATE).toString();
        if (st == null
                || !st.path("step").canConvertToInt()
                || !st.path("losses").isArray()
                || !st.path("optimizer_step").canConvertToLong()) {
            throw new InvalidInputException(where + ": not a training state (step, losses, optimizer_step)");
        }
        if (!st.path("optimizer").asText().equals(kind.id())
                || st.path("lr").asDouble() != lr
                || st.path("momentum").asDouble() != momentum) {
            throw new InvalidInputException(where + ": the checkpoint was trained with --optimizer "
                    + st.path("optimizer").asText() + " --lr " + st.path("lr").asDouble() + " (momentum "
                    + st.path("momentum").asDouble() + "): resume with the same settings");
        }
        List<Double> losses = new ArrayList<>();
        st.path("losses").forEach(l -> losses.add(l.asDouble()));
        int step = st.path("step").asInt();
        if (losses.size() != step) {
            throw new InvalidInputException(where + ": " + losses.size() + " losses for step " + step);
        }
        Model model = ModelDirectory.read(last);
        Readout readout = ModelDirectory.readReadout(last, model.hiddenSize());
        double[] m = null, v = null;
        if (Files.exists(last.resolve("optimizer_m.npy"))) {
            try (Arena arena = Arena.ofConfined()) {
                m = Npy.read(last.resolve("optimizer_m.npy"), arena).toArray();
                v = Npy.read(last.resolve("optimizer_v.npy"), arena).toArray();
            }
        }
        return new Resumed(
                step,
                model,
                readout,
                new Optimizer.State(st.path("optimizer_step").asLong(), m, v),
                losses,
                last);
    }

    /** The step_N directories of {@code dir} holding {@code file}, by step (none if dir is absent). */
    static List<Path> stepDirs(Path dir, String file) {
        List<Path> steps = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> STEP.matcher(p.getFileName().toString()).matches())
                        .filter(p -> Files.isRegularFile(p.resolve(file)))
                        .forEach(steps::add);
            } catch (IOException e) {
                throw new UncheckedIOException(dir + ": cannot list: " + e.getMessage(), e);
            }
        }
        steps.sort(Comparator.comparingLong(p -> Long.parseLong(step(p))));
        return steps;
    }

    /** One model of an analysis along training: its label, the model and its readout (null: none). */
    record Point(String label, Model model, Readout readout) {}

    /**
     * The given model, then (when {@code checkpoints} is not null) every checkpoint model of a
     * training run in it (step_N/model.json, by step); refused when it holds none.
     */
    static List<Point> along(String label, PyTorchModel.Loaded first, Path checkpoints) {
        List<Point> points = new ArrayList<>();
        points.add(new Point(label, first.model(), first.readout()));
        if (checkpoints != null) {
            List<Path> dirs = stepDirs(checkpoints, "model.json");
            if (dirs.isEmpty()) {
                throw new InvalidInputException(checkpoints + ": no complete checkpoint (step_*/model.json)");
            }
            for (Path d : dirs) {
                Model m = ModelDirectory.read(d);
                points.add(new Point(d.getFileName().toString(), m, ModelDirectory.readReadout(d, m.hiddenSize())));
            }
        }
        return points;
    }

    private static String step(Path p) {
        Matcher mt = STEP.matcher(p.getFileName().toString());
        return mt.matches() ? mt.group(1) : "-1";
    }
}
