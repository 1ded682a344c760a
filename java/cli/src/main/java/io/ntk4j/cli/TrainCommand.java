package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.Readout;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.training.Loss;
import io.ntk4j.training.Optimizer;
import io.ntk4j.training.Trainer;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code ntk4j train}: gradient descent through the exact operators, torch.optim semantics. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Trains a model by gradient descent; the gradient is J_theta^T P* e with e = dL/dh (DESIGN.md).",
            "Losses: mse (torch MSELoss on the readout y = W_out h + b_out; attention_mlp: on its own output y) or"
                    + " state (1/2 sum (h - target)^2).",
            "Optimizers follow torch.optim exactly: sgd, sgd_momentum (v = mu v + g), adam (0.9, 0.999, 1e-8).",
            "Deterministic. A run that diverges stops with exit 3 and keeps the last good checkpoint."
        })
final class TrainCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(names = "--targets", paramLabel = "Y.npy", description = "[B,T,O] for mse, [B,T,H] for state")
    Path targets;

    @Option(names = "--loss", defaultValue = "mse", description = "mse or state (default ${DEFAULT-VALUE})")
    String loss;

    @Option(
            names = "--optimizer",
            defaultValue = "sgd",
            description = "sgd, sgd_momentum or adam (default ${DEFAULT-VALUE})")
    String optimizer;

    @Option(names = "--lr", required = true, description = "learning rate")
    double lr;

    @Option(
            names = "--natural-gradient",
            paramLabel = "r",
            defaultValue = "0",
            description = "precondition with the low-rank natural gradient of rank r (0: off)")
    int naturalRank;

    @Option(names = "--rho", defaultValue = "NaN", description = "natural-gradient damping (default: lambda_r)")
    double rho;

    @Option(
            names = "--momentum",
            defaultValue = "0.9",
            description = "momentum of sgd_momentum (default ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--steps", required = true)
    int steps;

    @Option(
            names = "--train",
            split = ",",
            defaultValue = "weight_ih,weight_hh,bias_ih,bias_hh,readout",
            description = "parameters to train, PyTorch's names (default: all the model has, and the readout with mse)")
    List<String> train;

    @Option(
            names = "--out",
            paramLabel = "DIR|FILE.safetensors",
            description = "where to write the trained model: a model directory, or a PyTorch state dict (.safetensors, "
                    + "PyTorch's names, float64; checkpoints then go to FILE-checkpoints/)")
    Path out;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "0",
            paramLabel = "n",
            description =
                    "also write DIR/checkpoints/step_<s> (FILE-checkpoints/step_<s>.safetensors) every n steps (needs --out)")
    int checkpointEvery;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(
            names = "--resume",
            description = "continue from the last complete checkpoint in --out DIR (same settings; --steps is the"
                    + " total): the same trajectory as a run never interrupted")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        if (steps < 0) {
            throw new ParameterException(spec.commandLine(), "--steps must be >= 0, got " + steps);
        }
        if (checkpointEvery < 0 || (checkpointEvery > 0 && out == null)) {
            throw new ParameterException(spec.commandLine(), "--checkpoint-every needs n >= 0 and --out");
        }
        if (resume && (out == null || stateDictOut())) {
            throw new ParameterException(spec.commandLine(), "--resume needs --out DIR (a model directory run)");
        }
        io.ntk4j.io.PyTorchModel.Loaded loaded =
                modelOption.load(spec.commandLine().getErr());
        Model m = loaded.model();
        Readout readout = loaded.readout();
        double mom = optimizerMomentum();
        if (out != null && !stateDictOut()) {
            io.ntk4j.io.TemporaryFiles.removeStale(out.resolve("checkpoints")); // a killed run's staging
        }
        TrainingCheckpoints.Resumed from =
                resume ? TrainingCheckpoints.latest(out, Optimizer.Kind.fromId(optimizer), lr, mom) : null;
        if (from != null) {
            if (from.step() > steps) {
                throw new InvalidInputException(
                        from.from() + " is at step " + from.step() + ", beyond --steps " + steps);
            }
            m = from.model();
            readout = from.readout();
        }
        Loss l = Loss.fromId(loss);
        Optimizer.Kind kind = Optimizer.Kind.fromId(optimizer);
        Set<String> trained = new LinkedHashSet<>();
        boolean defaults = spec.commandLine().getParseResult().matchedOption("--train") == null;
        if (defaults) {
            // The default trains everything this model and loss have (attention_mlp: all its
            // parameters; its output layer is its own).
            trained.addAll(m.parameterNames());
            if (l == Loss.MSE && m.cell().recurrent()) {
                trained.add("readout");
            }
        } else {
            trained.addAll(train);
        }
        PrintWriter pw = spec.commandLine().getOut();
        try (Arena arena = Arena.ofConfined()) {
            Trainer tr = new Trainer(
                    m,
                    readout,
                    data.inputs(arena),
                    data.targets(targets, arena),
                    l,
                    new Optimizer(kind, lr, mom),
                    trained);
            if (from != null) {
                tr.optimizer().restore(from.state());
                tr.resumedAfter(from.losses());
                if (!json) {
                    pw.printf("resuming from %s (step %d of %d)%n", from.from(), from.step(), steps);
                }
            }
            io.ntk4j.training.NaturalGradient ng = null;
            if (naturalRank > 0) {
                ng = new io.ntk4j.training.NaturalGradient(naturalRank, rho);
                tr.withNaturalGradient(ng);
            } else if (naturalRank < 0) {
                throw new ParameterException(spec.commandLine(), "--natural-gradient must be >= 0");
            }
            long t0 = System.nanoTime();
            int done = from != null ? from.step() : 0;
            // On a terminal a progress bar (rate, ETA, loss) replaces the per-step lines.
            boolean bar = Progress.interactive(json);
            try (Progress progress = Progress.start("train", steps, "steps", json)) {
                for (int s = done; s < steps; s++) {
                    tr.step();
                    done = s + 1;
                    if (checkpointEvery > 0 && done % checkpointEvery == 0) {
                        if (stateDictOut()) {
                            writeModel(checkpoint(done), tr.model(), tr.readout());
                        } else {
                            TrainingCheckpoints.write(
                                    checkpoint(done), tr.model(), tr.readout(), tr.optimizer(), tr.losses(), done);
                        }
                    }
                    progress.step();
                    progress.extra(String.format("loss %.4e", tr.losses().get(s)));
                    if (!json && !bar) {
                        pw.printf("step %d: loss %.10e%n", s, tr.losses().get(s));
                    }
                }
                tr.finish();
            } catch (NumericalException e) {
                if (out != null) {
                    writeModel(out, tr.model(), tr.readout()); // the last good parameters
                }
                throw new NumericalException(
                        "training diverged after " + done + " of " + steps + " steps: " + e.getMessage()
                                + (out != null ? "; the last good parameters are in " + out : ""),
                        e.status());
            }
            if (out != null) {
                writeModel(out, tr.model(), tr.readout());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode();
                ArrayNode ls = root.putArray("losses");
                tr.losses().forEach(ls::add);
                root.put("steps", steps);
                root.put("optimizer", kind.id());
                root.put("loss", l.id());
                ArrayNode tn = root.putArray("trained");
                trained.forEach(tn::add);
                root.put("seconds", seconds);
                root.put("seconds_per_step", steps > 0 ? seconds / steps : 0.0);
                if (ng != null) {
                    root.put("natural_gradient_rank", naturalRank);
                    root.put("natural_gradient_lanczos_vectors", ng.lanczosVectors());
                }
                if (out != null) {
                    root.put("out", out.toString());
                }
                pw.println(mapper.writeValueAsString(root));
            } else {
                pw.printf(
                        "final loss %.10e after %d steps (%.3f s)%s%n",
                        tr.losses().get(tr.losses().size() - 1),
                        steps,
                        seconds,
                        out != null ? "; model written to " + out : "");
            }
        }
        return Main.EXIT_OK;
    }

    private double optimizerMomentum() {
        return Optimizer.Kind.fromId(optimizer) == Optimizer.Kind.SGD_MOMENTUM ? momentum : 0.0;
    }

    private boolean stateDictOut() {
        return out != null
                && out.getFileName()
                        .toString()
                        .toLowerCase(java.util.Locale.ROOT)
                        .endsWith(".safetensors");
    }

    /** Checkpoint of step {@code done}: out/checkpoints/step_N (a directory), or FILE-checkpoints/step_N.safetensors. */
    private Path checkpoint(int done) {
        String step = String.format("step_%06d", done);
        if (stateDictOut()) {
            String name = out.getFileName().toString();
            return out.resolveSibling(name.substring(0, name.length() - ".safetensors".length()) + "-checkpoints")
                    .resolve(step + ".safetensors");
        }
        return out.resolve("checkpoints").resolve(step);
    }

    private void writeModel(Path where, io.ntk4j.Model m, io.ntk4j.Readout r) {
        if (where.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".safetensors")) {
            io.ntk4j.io.PyTorchModel.write(where, m, r);
        } else {
            ModelDirectory.write(where, m, r);
        }
    }
}
