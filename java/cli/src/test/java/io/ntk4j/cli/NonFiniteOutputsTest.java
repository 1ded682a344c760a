package io.ntk4j.cli;

import static io.ntk4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import io.ntk4j.cli.CliTest.Result;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing non-finite leaves with exit 0 (issue 13): an operator that overflows, a probe that makes
 * it overflow, and an estimate that is undefined are exit 3 naming what and where, and no output
 * file is written.
 */
class NonFiniteOutputsTest {
    @TempDir
    Path tmp;

    /** rnn_leaky (dt = 1) with W_hh = gain I and W_ih = wih, written with zero inputs [B, T, 1] and a probe of ones. */
    private Path model(double gain, double wih, int h, int b, int t) {
        double[] whh = new double[h * h], w = new double[h];
        for (int i = 0; i < h; i++) {
            whh[i * h + i] = gain;
            w[i] = wih;
        }
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", w);
        p.put("weight_hh", whh);
        Path dir = tmp.resolve("m" + gain + "_" + t);
        ModelDirectory.write(dir, Model.of(CellKind.RNN_LEAKY, h, 1, 1.0, false, p));
        try (Arena arena = Arena.ofConfined()) {
            Npy.write(dir.resolve("inputs.npy"), Tensor.allocate(arena, b, t, 1));
            Tensor q = Tensor.allocate(arena, b, t, h);
            for (long i = 0; i < q.size(); i++) {
                q.setFlat(i, 1.0);
            }
            Npy.write(dir.resolve("q.npy"), q);
        }
        return dir;
    }

    private static Result apply(Path dir, String probe, String op, Path out) {
        return run(
                "apply",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--probe",
                probe,
                "--op",
                op,
                "--out",
                out.toString());
    }

    @Test
    void anOperatorThatOverflowsIsExitThreeNamingWhereAndWritesNothing() {
        // J = 50 I at every step: P's products reach 50^1000 (Inf, then Inf - Inf = NaN).
        Path dir = model(50, 0, 4, 2, 1000), out = tmp.resolve("y.npy");
        for (String op : new String[] {"P", "NTK"}) {
            Result r = apply(dir, dir.resolve("q.npy").toString(), op, out);
            assertThat(r.code()).as(op + ": " + r.err()).isEqualTo(Main.EXIT_NUMERICAL);
            assertThat(r.err()).contains("non-finite").contains("[b, t, h] = [");
            assertThat(out).doesNotExist();
        }
    }

    @Test
    void aProbeThatMakesTheOperatorOverflowIsExitThree() throws Exception {
        Path dir = model(1.2, 0.5, 3, 3, 6), out = tmp.resolve("y.npy");
        Path big = tmp.resolve("big.npy");
        try (Arena arena = Arena.ofConfined()) {
            Tensor q = Tensor.allocate(arena, 3, 6, 3);
            q.setFlat(0, 1e308);
            Npy.write(big, q);
        }
        Result r = apply(dir, big.toString(), "P", out);
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_NUMERICAL);
        assertThat(r.err()).contains("P").contains("non-finite");
        assertThat(out).doesNotExist();
    }

    @Test
    void theEffectiveRankOfAZeroOperatorIsReportedUndefinedNotNaN() {
        // W = 0, zero inputs, h0 = 0: every state and every parameter Jacobian is zero, so NTK_S = 0.
        Path dir = model(0, 0, 3, 2, 5);
        for (String[] extra : new String[][] {{}, {"--exact"}}) {
            String[] args = {
                "spectrum",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--top",
                "2",
                "--json"
            };
            String[] all = Arrays.copyOf(args, args.length + extra.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            Result r = run(all);
            assertThat(r.code())
                    .as(Arrays.toString(extra) + ": " + r.out() + r.err())
                    .isEqualTo(Main.EXIT_NUMERICAL);
            assertThat(r.err()).contains("undefined");
            assertThat(r.out()).doesNotContain("NaN");
        }
    }
}
