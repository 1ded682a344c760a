package io.ntk4j.cli;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import io.ntk4j.io.SequenceLayout;
import io.ntk4j.tasks.Tasks;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where a command's data come from: {@code --inputs X.npy} (and {@code --targets Y.npy} for
 * training), or a task generated on the fly with {@code --task NAME --trials B --T T
 * [--data-seed s] [--no-noise]} (see {@link Tasks}).
 */
final class DataOption {
    @Option(names = "--inputs", paramLabel = "X.npy", description = "inputs [B, T, N] (or use --task)")
    Path inputs;

    @Option(
            names = "--task",
            paramLabel = "NAME",
            description =
                    "generate the data: memory_pro, memory_pro_anti, flip_flop, context_integration, multi_memory_pro")
    String task;

    @Option(
            names = "--trials",
            defaultValue = "200",
            paramLabel = "B",
            description = "trials of --task (default ${DEFAULT-VALUE})")
    int trials;

    @Option(
            names = "--T",
            defaultValue = "90",
            paramLabel = "T",
            description = "steps of --task (default ${DEFAULT-VALUE})")
    int steps;

    @Option(
            names = "--data-seed",
            defaultValue = "1",
            paramLabel = "s",
            description = "seed of --task (default ${DEFAULT-VALUE})")
    long dataSeed;

    @Option(names = "--no-noise", description = "--task without input noise (memory_pro: evenly spaced angles)")
    boolean noNoise;

    @Option(
            names = "--time-major",
            description = "--inputs (and --targets) are [T, B, N], PyTorch's default order (batch_first=False)")
    boolean timeMajor;

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    private Tasks.Data generated;

    private Tasks.Data generated(Arena arena) {
        if (generated == null) {
            generated = Tasks.generate(task, trials, steps, !noNoise, dataSeed, arena);
        }
        return generated;
    }

    Tensor inputs(Arena arena) {
        if ((inputs == null) == (task == null)) {
            throw new InvalidInputException("give exactly one of --inputs X.npy and --task NAME");
        }
        if (task != null) {
            if (timeMajor) {
                throw new InvalidInputException(
                        "--time-major applies to --inputs files; --task generates [B, T, N] itself");
            }
            return generated(arena).inputs();
        }
        return read(inputs, "--inputs " + inputs, arena);
    }

    /** A [B, T, N] file, or a [T, B, N] one turned around with --time-major; warns when the order looks wrong. */
    private Tensor read(Path file, String what, Arena arena) {
        Tensor x = Npy.read(file, arena);
        if (timeMajor) {
            return SequenceLayout.batchFirst(x, arena);
        }
        SequenceLayout.orderWarning(x, what).ifPresent(w -> {
            spec.commandLine().getErr().println("ntk4j: warning: " + w);
            spec.commandLine().getErr().flush();
        });
        return x;
    }

    /** Targets for training: --targets, or the task's. */
    Tensor targets(Path targetsFile, Arena arena) {
        if (task != null) {
            if (targetsFile != null) {
                throw new InvalidInputException("--targets and --task both given: the task generates its own targets");
            }
            return generated(arena).targets();
        }
        if (targetsFile == null) {
            throw new InvalidInputException("--targets Y.npy is required with --inputs");
        }
        return read(targetsFile, "--targets " + targetsFile, arena);
    }
}
