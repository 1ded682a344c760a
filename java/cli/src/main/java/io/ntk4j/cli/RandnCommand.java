package io.ntk4j.cli;

import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code ntk4j randn}: an array of independent N(0, scale^2) values, e.g. inputs or probes. */
@Command(
        name = "randn",
        mixinStandardHelpOptions = true,
        description = "Writes a float64 .npy array of Gaussian values (inputs or probes for experiments).")
final class RandnCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", required = true, split = ",", paramLabel = "D1,D2,...")
    long[] shape;

    @Option(names = "--scale", defaultValue = "1.0")
    double scale;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy")
    Path out;

    @Override
    public Integer call() {
        for (long d : shape) {
            if (d <= 0) {
                throw new ParameterException(
                        spec.commandLine(), "--shape dimensions must be > 0, got " + Arrays.toString(shape));
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            Npy.write(out, Tensor.gaussian(arena, seed, scale, shape));
        }
        spec.commandLine().getOut().printf("wrote %s to %s%n", Arrays.toString(shape), out);
        return Main.EXIT_OK;
    }
}
