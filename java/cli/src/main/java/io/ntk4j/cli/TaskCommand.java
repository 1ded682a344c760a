package io.ntk4j.cli;

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

    @Override
    public Integer call() {
        try (Arena arena = Arena.ofConfined()) {
            Tasks.Data d = Tasks.generate(task, trials, steps, !noNoise, seed, arena);
            Npy.write(inputsOut, d.inputs());
            Npy.write(targetsOut, d.targets());
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
