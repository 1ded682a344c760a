package io.ntk4j.cli;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import io.ntk4j.tasks.Tasks;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j task}: writes a KPFlow task's inputs and targets as .npy files. */
@Command(
        name = "task",
        mixinStandardHelpOptions = true,
        description =
                "Generates a task of the KPFlow papers (memory_pro, memory_pro_anti, flip_flop, context_integration) "
                        + "as inputs [B,T,N] and targets [B,T,O] .npy files.")
final class TaskCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--task", required = true, paramLabel = "NAME")
    String task;

    @Option(names = "--trials", defaultValue = "200", paramLabel = "B", description = "(default ${DEFAULT-VALUE})")
    int trials;

    @Option(names = "--T", defaultValue = "90", paramLabel = "T", description = "(default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--seed", defaultValue = "1", description = "(default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--no-noise", description = "without input noise (memory_pro: evenly spaced angles)")
    boolean noNoise;

    @Option(names = "--inputs-out", required = true, paramLabel = "X.npy")
    Path inputsOut;

    @Option(names = "--targets-out", required = true, paramLabel = "Y.npy")
    Path targetsOut;

    @Option(
            names = "--task-ids-out",
            paramLabel = "IDS.npy",
            description = "multi_memory_pro only: the sub-task of each trial, [B] (0 memory_pro, 1 memory_pro_anti)")
    Path taskIdsOut;

    @Override
    public Integer call() {
        boolean mixed = "multi_memory_pro".equalsIgnoreCase(task);
        if (taskIdsOut != null && !mixed) {
            throw new InvalidInputException(
                    "--task-ids-out: only a mixed task has sub-tasks (--task multi_memory_pro), not " + task);
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor ids = null;
            Tasks.Data d;
            if (mixed) {
                // The same trials as Tasks.generate gives, with the sub-task of each kept.
                Tasks.MultiTaskData m = Tasks.multiMemoryPro(trials, steps, !noNoise, seed, arena);
                d = new Tasks.Data(m.inputs(), m.targets());
                double[] v = new double[m.task().length];
                for (int b = 0; b < v.length; b++) {
                    v[b] = m.task()[b];
                }
                ids = Tensor.of(arena, v, v.length);
            } else {
                d = Tasks.generate(task, trials, steps, !noNoise, seed, arena);
            }
            Npy.write(inputsOut, d.inputs());
            Npy.write(targetsOut, d.targets());
            if (taskIdsOut != null) {
                Npy.write(taskIdsOut, ids);
            }
            spec.commandLine()
                    .getOut()
                    .printf(
                            "%s: inputs %s -> %s, targets %s -> %s%n",
                            task,
                            java.util.Arrays.toString(d.inputs().shape()),
                            inputsOut,
                            java.util.Arrays.toString(d.targets().shape()),
                            targetsOut);
        }
        return Main.EXIT_OK;
    }
}
