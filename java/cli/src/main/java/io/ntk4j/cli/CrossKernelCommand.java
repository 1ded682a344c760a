package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.OutputKernels;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import io.ntk4j.io.PyTorchModel;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j cross-kernel}: the dense cross kernel between two input batches ({@link OutputKernels}). */
@Command(
        name = "cross-kernel",
        header = "The NTK between two input batches (test against train), as a dense matrix.",
        mixinStandardHelpOptions = true,
        description = "Theta_y(x1, x2) = J_y(x1) J_y(x2)^T over every parameter (a recurrent model's readout"
                + " included), [B1 T1 O, B2 T2 O], or with --state the state-space Theta_S(x1, x2) = P1 J1 J2^T P2*,"
                + " [B1 T1 S, B2 T2 S]; written as a 2-D .npy (B2 T2 width applies of the kernel).")
final class CrossKernelCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @Option(names = "--inputs", required = true, paramLabel = "X1.npy", description = "the first batch [B1, T1, N]")
    Path inputs;

    @Option(names = "--inputs-b", required = true, paramLabel = "X2.npy", description = "the second batch [B2, T2, N]")
    Path inputsB;

    @Option(names = "--state", description = "the state-space cross kernel rather than the outputs'")
    boolean state;

    @Option(names = "--out", required = true, paramLabel = "K.npy", description = "where to write the matrix")
    Path out;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        PyTorchModel.Loaded loaded = modelOption.load(spec.commandLine().getErr());
        long t0 = System.nanoTime();
        ObjectNode root = new ObjectMapper().createObjectNode();
        try (Arena arena = Arena.ofConfined();
                Session s1 = Session.open(loaded.model(), Npy.read(inputs, arena));
                Session s2 = Session.open(loaded.model(), Npy.read(inputsB, arena))) {
            LinearOperator k = state
                    ? OutputKernels.crossState(s1, s2)
                    : OutputKernels.cross(s1, s2, loaded.model().cell().recurrent() ? loaded.readout() : null);
            if (k.rows() * k.cols() > (1L << 27)) {
                throw new InvalidInputException("a dense " + k.rows() + " x " + k.cols()
                        + " cross kernel is too large (at most 2^27 entries): use OutputKernels.cross as an operator");
            }
            double[] dense = k.toDense();
            long w1 = k.rows() / (s1.batch() * s1.steps()), w2 = k.cols() / (s2.batch() * s2.steps());
            Npy.write(out, Tensor.of(arena, dense, k.rows(), k.cols()));
            double frob = 0;
            for (double v : dense) {
                frob += v * v;
            }
            root.put("kernel", state ? "Theta_S(x1, x2)" : "Theta_y(x1, x2)");
            root.put("model", modelOption.model.toString());
            root.putArray("shape").add(k.rows()).add(k.cols());
            root.putArray("rows_are").add(s1.batch()).add(s1.steps()).add(w1);
            root.putArray("cols_are").add(s2.batch()).add(s2.steps()).add(w2);
            root.put("frobenius_norm", Math.sqrt(frob));
            root.put("file", out.toString());
            root.put("seconds", (System.nanoTime() - t0) / 1e9);
            if (output.report != null) {
                write(
                        output.report,
                        root,
                        dense,
                        (int) (s1.batch() * s1.steps()),
                        (int) (s2.batch() * s2.steps()),
                        w1,
                        w2);
            }
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (output.json) {
            pw.println(root.toString());
        } else {
            pw.printf(
                    Locale.ROOT,
                    "%s: %s x %s, Frobenius norm %.6g, written to %s%n",
                    root.get("kernel").asText(),
                    root.get("shape").get(0).asText(),
                    root.get("shape").get(1).asText(),
                    root.get("frobenius_norm").asDouble(),
                    out);
        }
        return Main.EXIT_OK;
    }

    /** A heat map of the Frobenius norm of each (b1 t1, b2 t2) block of the kernel. */
    private static void write(Path dir, ObjectNode root, double[] k, int r1, int r2, long w1, long w2) {
        Report r =
                Report.create(dir, "ntk4j cross-kernel: " + root.get("kernel").asText());
        r.key("model", root.get("model").asText())
                .key("shape", root.get("shape").toString())
                .key(
                        "Frobenius norm",
                        String.format(
                                Locale.ROOT, "%.6g", root.get("frobenius_norm").asDouble()));
        r.json("cross_kernel.json", root);
        java.util.List<Integer> x = new java.util.ArrayList<>(), y = new java.util.ArrayList<>();
        for (int i = 0; i < r2; i++) {
            x.add(i);
        }
        for (int i = 0; i < r1; i++) {
            y.add(i);
        }
        java.util.List<Number[]> z = new java.util.ArrayList<>();
        long cols = r2 * w2;
        for (int a = 0; a < r1; a++) {
            for (int b = 0; b < r2; b++) {
                double s = 0;
                for (long i = 0; i < w1; i++) {
                    for (long j = 0; j < w2; j++) {
                        double v = k[(int) ((a * w1 + i) * cols + b * w2 + j)];
                        s += v * v;
                    }
                }
                z.add(new Number[] {b, a, Math.sqrt(s)});
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder()
                .width(900)
                .height(700)
                .title("Norm of each step pair's block of " + root.get("kernel").asText())
                .xAxisTitle("second batch step b2*T2 + t2")
                .yAxisTitle("first batch step b1*T1 + t1")
                .build();
        chart.getStyler().setShowValue(false);
        chart.addSeries("||block||_F", x, y, z);
        r.plot("cross_kernel_blocks", chart);
        r.finish();
    }
}
