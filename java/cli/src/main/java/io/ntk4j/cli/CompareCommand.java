package io.ntk4j.cli;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ntk4j compare}: relative difference of two .npy arrays, as the golden tests measure it. */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the relative error max|A - B| / max|B| of two float64 .npy arrays of the same shape.",
            "Exits 0 if it is <= --rtol, 5 otherwise."
        })
final class CompareCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A.npy")
    Path a;

    @Parameters(index = "1", paramLabel = "B.npy", description = "reference")
    Path b;

    @Option(names = "--rtol", defaultValue = "1e-10", description = "tolerance (default ${DEFAULT-VALUE})")
    double rtol;

    @Override
    public Integer call() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(a, arena), y = Npy.read(b, arena);
            if (!Arrays.equals(x.shape(), y.shape())) {
                throw new InvalidInputException("shapes differ: " + a + " " + Arrays.toString(x.shape()) + " vs " + b
                        + " " + Arrays.toString(y.shape()));
            }
            double err = Tensor.relativeError(x, y);
            boolean ok = err <= rtol;
            spec.commandLine().getOut().printf("max|A-B|/max|B| = %.3e (%s rtol %.1e)%n", err, ok ? "<=" : ">", rtol);
            return ok ? Main.EXIT_OK : Main.EXIT_DIFFER;
        }
    }
}
