package io.ntk4j.cli;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.OperatorKind;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j apply}: one operator on a probe file, result to a .npy file. */
@Command(
        name = "apply",
        mixinStandardHelpOptions = true,
        description = {
            "Applies an exact operator of the unrolled model to a probe (or a block of k probes).",
            "State-space probes are [B,T,H] or [k,B,T,H]; for Jtheta the probe is [n_params] or [k,n_params].",
            "The output has the probe's layout and is written atomically (temporary file, then rename)."
        })
final class ApplyCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(
            names = "--probe",
            required = true,
            paramLabel = "Q.npy",
            description = "probe [B,T,H] or [k,B,T,H], float64")
    Path probe;

    @Option(
            names = "--op",
            required = true,
            paramLabel = "OP",
            description = "operator: P, Pt, Pinv, Pinvt, K, NTK, Jtheta, JthetaT")
    String op;

    @Option(names = "--out", required = true, paramLabel = "OUT.npy", description = "where to write the result")
    Path out;

    @Override
    public Integer call() {
        OperatorKind kind = OperatorKind.fromId(op);
        Model m = modelOption.load(spec.commandLine().getErr()).model();
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = data.inputs(arena);
            Tensor q = Npy.read(probe, arena);
            try (Session session = open(m, x)) {
                LinearOperator a = session.operator(kind);
                long[] one = session.inputShape(kind);
                long[] s = q.shape();
                boolean single = Arrays.equals(s, one);
                boolean block = s.length == one.length + 1 && Arrays.equals(Arrays.copyOfRange(s, 1, s.length), one);
                if (!single && !block) {
                    throw new InvalidInputException(probe + ": probe has shape " + Arrays.toString(s) + " but " + a
                            + " takes " + Arrays.toString(one) + " or [k, "
                            + Arrays.toString(one).substring(1));
                }
                Tensor y = a.apply(q, arena);
                Npy.write(out, y);
                spec.commandLine()
                        .getOut()
                        .printf(
                                "%s applied to %d probe(s) -> %s %s%n",
                                a, single ? 1 : s[0], out, Arrays.toString(y.shape()));
            }
        }
        return Main.EXIT_OK;
    }

    /** Opens the session, naming the inputs file in any complaint about the inputs. */
    private Session open(Model m, Tensor x) {
        try {
            return Session.open(m, x);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(
                    (data.inputs != null ? data.inputs.toString() : "task " + data.task) + ": " + e.getMessage(),
                    e.status(),
                    e);
        }
    }
}
