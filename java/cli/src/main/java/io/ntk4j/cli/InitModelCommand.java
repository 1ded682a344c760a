package io.ntk4j.cli;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.io.ModelDirectory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j init-model}: a randomly initialized model directory, with the initialization of
 * the golden data (W_ih ~ N(0,1)/sqrt(N), W_hh ~ g N(0,1)/sqrt(H), biases ~ N(0,1)/sqrt(H)).
 */
@Command(
        name = "init-model",
        mixinStandardHelpOptions = true,
        description = "Writes a randomly initialized model directory (model.json + weight .npy files).")
final class InitModelCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--cell", required = true, description = "rnn_leaky, rnn_elman, gru, rnn_relu, rnn_linear or lstm")
    String cell;

    @Option(names = "--hidden", required = true, paramLabel = "H")
    int hidden;

    @Option(names = "--input", required = true, paramLabel = "N")
    int input;

    @Option(names = "--dt", defaultValue = "0.1", description = "time step of rnn_leaky (default ${DEFAULT-VALUE})")
    double dt;

    @Option(names = "--gain", defaultValue = "1.0", description = "gain g of W_hh (default ${DEFAULT-VALUE})")
    double gain;

    @Option(names = "--no-bias", description = "omit biases (rnn_elman, gru, rnn_relu, lstm)")
    boolean noBias;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--outputs",
            paramLabel = "O",
            description = "also a readout y = W_out h + b_out of O outputs (W_out ~ N(0,1)/sqrt(H), b_out = 0)")
    Integer outputs;

    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;

    @Override
    public Integer call() {
        CellKind kind = CellKind.fromId(cell);
        if (hidden <= 0 || input <= 0 || (outputs != null && outputs <= 0)) {
            throw new ParameterException(spec.commandLine(), "--hidden, --input and --outputs must be > 0");
        }
        boolean bias = kind.allowsBias() && !noBias;
        // Count the parameters before allocating any: a Java array holds < 2^31 values, and the
        // weights (twice: here and in the model) must fit in the memory there is.
        double values = 0;
        for (String name : Model.parameterNames(bias)) {
            double n = 1;
            for (long d : Model.parameterShape(kind, hidden, input, name)) {
                n *= d;
            }
            if (n > Integer.MAX_VALUE - 8) {
                throw new io.ntk4j.InvalidInputException(
                        name + " of " + kind.id() + " with --hidden " + hidden + " --input " + input + " would hold "
                                + String.format("%.3g", n) + " values, more than one array can (2^31 - 1)");
            }
            values += n;
        }
        long available = io.ntk4j.Ntk4j.availableMemory();
        if (available >= 0 && 2 * 8 * values > available) {
            throw new io.ntk4j.ResourceLimitException(String.format(
                    "the weights of --hidden %d need %.2f GB but %.2f GB are available",
                    hidden, 16 * values / 1e9, available / 1e9));
        }
        io.ntk4j.Ntk4j.requireHeap(2 * 8 * values, "the weights of --hidden " + hidden);
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(bias)) {
            long[] shape = Model.parameterShape(kind, hidden, input, name);
            double[] v = new double[Math.toIntExact(io.ntk4j.Tensor.elementCount(shape))];
            double scale = switch (name) {
                case "weight_ih" -> 1 / Math.sqrt(input);
                case "weight_hh" -> gain / Math.sqrt(hidden);
                default -> 1 / Math.sqrt(hidden);
            };
            for (int i = 0; i < v.length; i++) {
                v[i] = scale * rng.nextGaussian();
            }
            p.put(name, v);
        }
        Model m = Model.of(kind, hidden, input, dt, bias, p);
        if (outputs != null) {
            // Drawn after the cell's parameters, so a model with a readout has the same cell.
            double[] w = new double[Math.multiplyExact(outputs, hidden)];
            for (int i = 0; i < w.length; i++) {
                w[i] = rng.nextGaussian() / Math.sqrt(hidden);
            }
            ModelDirectory.write(out, m, new io.ntk4j.Readout(outputs, hidden, w, new double[outputs]));
        } else {
            ModelDirectory.write(out, m);
        }
        spec.commandLine().getOut().printf("wrote %s to %s%n", m, out);
        return Main.EXIT_OK;
    }
}
