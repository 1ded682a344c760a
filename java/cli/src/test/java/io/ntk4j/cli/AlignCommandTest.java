package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ntk4j align} against the Frobenius cosine of dense matrices on a small model. */
class AlignCommandTest {
    @TempDir
    Path tmp;

    private static final Path ELMAN = TestPaths.golden("rnn_elman");

    private static JsonNode align(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "align",
                "--model",
                ELMAN.toString(),
                "--inputs",
                ELMAN.resolve("inputs.npy").toString(),
                "--json"));
        args.addAll(List.of(more));
        CliTest.Result r = CliTest.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    /** cos(A, B) from the dense matrices. */
    private static double denseCosine(LinearOperator a, LinearOperator b) {
        double[] x = a.toDense(), y = b.toDense();
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < x.length; i++) {
            ab += x[i] * y[i];
            aa += x[i] * x[i];
            bb += y[i] * y[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void misdirectionExactlyAndEstimatedWithinItsErrorBar() throws Exception {
        double want;
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(ELMAN), Npy.read(ELMAN.resolve("inputs.npy"), arena))) {
            want = denseCosine(s.ntk(), s.P().gram());
        }
        JsonNode exact = align("--ops", "NTK,PPt", "--exact");
        assertThat(exact.get("alignment").asDouble()).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(exact.get("alignment_std_error").asDouble()).isZero();
        for (long seed : new long[] {1, 2, 3}) {
            JsonNode est = align("--ops", "NTK,PPt", "--seed", Long.toString(seed), "--probes", "100");
            double se = est.get("alignment_std_error").asDouble();
            assertThat(se).isPositive().isLessThan(0.2);
            assertThat(Math.abs(est.get("alignment").asDouble() - want))
                    .as("seed " + seed + ": estimate within 4 standard errors of the exact value")
                    .isLessThanOrEqualTo(4 * se);
        }
    }

    @Test
    void theSecondOperatorFromAnotherModel() throws Exception {
        Model base = ModelFiles.load(ELMAN), gained = base.withGain(1.3);
        Path other = tmp.resolve("gained");
        ModelDirectory.write(other, gained);
        double want;
        try (Arena arena = Arena.ofConfined();
                Session a = Session.open(base, Npy.read(ELMAN.resolve("inputs.npy"), arena));
                Session b = Session.open(gained, Npy.read(ELMAN.resolve("inputs.npy"), arena))) {
            want = denseCosine(a.ntk(), b.ntk());
        }
        JsonNode j = align("--ops", "NTK,NTK", "--model-b", other.toString(), "--exact");
        assertThat(j.get("alignment").asDouble()).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(want).isLessThan(1.0 - 1e-6); // a different operator, not the same one twice
    }

    @Test
    void signalSharesAreTheEigenexpansionOfTheUpdate() throws Exception {
        // With every eigenvector (top = n), the shares of e are complete (1), and their increments
        // weighted by the eigenvalues give e^T A e: an identity the command cannot satisfy by accident.
        Path e = tmp.resolve("e.npy");
        int n = 3 * 6 * 5;
        double eAe;
        double[] lambda;
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(ELMAN), Npy.read(ELMAN.resolve("inputs.npy"), arena))) {
            Tensor v = Tensor.allocate(arena, 3, 6, 5);
            SplittableRandom rng = new SplittableRandom(5);
            for (long i = 0; i < v.size(); i++) {
                v.setFlat(i, rng.nextGaussian());
            }
            Npy.write(e, v);
            Tensor av = s.ntk().apply(v, arena);
            double ee = 0;
            eAe = 0;
            for (long i = 0; i < v.size(); i++) {
                eAe += v.getFlat(i) * av.getFlat(i);
                ee += v.getFlat(i) * v.getFlat(i);
            }
            eAe /= ee;
            lambda = io.ntk4j.spectral.Eigs.exact(s.ntk());
        }
        Path rep = tmp.resolve("report");
        JsonNode j = align(
                "--ops", "NTK,K", "--signal", e.toString(), "--top", Integer.toString(n), "--report", rep.toString());
        JsonNode shares = j.get("signal").get("e_in_A_modes");
        assertThat(shares).hasSize(n);
        assertThat(shares.get(n - 1).asDouble()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-10));
        double sum = 0, prev = 0;
        for (int i = 0; i < n; i++) {
            double cur = shares.get(i).asDouble();
            assertThat(cur).isGreaterThanOrEqualTo(prev - 1e-14);
            sum += lambda[i] * (cur - prev);
            prev = cur;
        }
        assertThat(sum).isCloseTo(eAe, org.assertj.core.data.Offset.offset(1e-9 * lambda[0]));
        assertThat(rep.resolve("signal_shares.png")).exists();
        assertThat(rep.resolve("align.json")).exists();
        assertThat(Files.readString(rep.resolve("index.html"))).contains("cos(NTK_S, K)");
    }

    @Test
    void operatorsOfDifferentShapesAreRefused() {
        CliTest.Result r = CliTest.run(
                "align",
                "--model",
                ELMAN.toString(),
                "--inputs",
                ELMAN.resolve("inputs.npy").toString(),
                "--ops",
                "NTK,NTK_y");
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("needs its readout");
        CliTest.Result three = CliTest.run(
                "align",
                "--model",
                ELMAN.toString(),
                "--inputs",
                ELMAN.resolve("inputs.npy").toString(),
                "--ops",
                "NTK,K,PPt");
        assertThat(three.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(three.err()).contains("two operators");
    }
}
