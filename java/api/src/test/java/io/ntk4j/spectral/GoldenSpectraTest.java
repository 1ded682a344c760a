package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spectra, effective ranks and partial effective dimensions of the golden cases against the
 * exact dense float64 values in tests/golden (eig_*.npy, metrics.json).
 */
class GoldenSpectraTest {
    static JsonNode metrics(String c) throws Exception {
        return new ObjectMapper()
                .readTree(TestPaths.golden(c).resolve("metrics.json").toFile());
    }

    @ParameterizedTest
    @MethodSource("io.ntk4j.TestPaths#goldenCases")
    void topEigenvaluesMatchExactOnesTo1e8(String c) {
        Path dir = TestPaths.golden(c);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena));
                LinearOperator ppt = s.P().gram()) {
            check(Eigs.top(s.K(), EigsOptions.top(10)), Npy.read(dir.resolve("eig_K.npy"), arena), c + " K");
            check(Eigs.top(ppt, EigsOptions.top(10)), Npy.read(dir.resolve("eig_PPt.npy"), arena), c + " P P*");
            check(Eigs.top(s.ntk(), EigsOptions.top(10)), Npy.read(dir.resolve("eig_NTK.npy"), arena), c + " NTK_S");
            // Through the Gram form on the smaller side: NTK_S = J J^T (J = P J_theta), K = J_theta J_theta^T.
            try (LinearOperator j = s.P().compose(s.jtheta())) {
                check(
                        Eigs.topOfGram(j, EigsOptions.top(10)),
                        Npy.read(dir.resolve("eig_NTK.npy"), arena),
                        c + " NTK_S via J*J");
                // Single-vector Lanczos (tridiagonal T, the benchmark's configuration), and with a basis
                // small enough to restart (arrowhead T after each restart).
                check(
                        Eigs.topOfGram(j, EigsOptions.top(10).withBlock(1).withMaxBasis(100)),
                        Npy.read(dir.resolve("eig_NTK.npy"), arena),
                        c + " NTK_S via J*J, block 1");
                EigenResult restarted =
                        Eigs.topOfGram(j, EigsOptions.top(10).withBlock(1).withMaxBasis(14));
                assertThat(restarted.restarts())
                        .as(c + " restarts with a basis of 14")
                        .isPositive();
                check(
                        restarted,
                        Npy.read(dir.resolve("eig_NTK.npy"), arena),
                        c + " NTK_S via J*J, block 1 with restarts");
            }
            check(
                    Eigs.topOfGram(s.jtheta(), EigsOptions.top(10)),
                    Npy.read(dir.resolve("eig_K.npy"), arena),
                    c + " K via J_theta*J_theta");
            // The exact (dense) path reproduces the whole spectrum.
            double[] all = Eigs.exact(s.ntk());
            Tensor want = Npy.read(dir.resolve("eig_NTK.npy"), arena);
            for (int i = 0; i < all.length; i++) {
                assertThat(all[i])
                        .as(c + " exact NTK eigenvalue " + i)
                        .isCloseTo(want.getFlat(i), org.assertj.core.api.Assertions.within(1e-12 * want.getFlat(0)));
            }
        }
    }

    private static void check(EigenResult r, Tensor exact, String what) {
        assertThat(r.isConverged()).as(what + " converged").isTrue();
        for (int i = 0; i < r.values().length; i++) {
            double want = exact.getFlat(i);
            assertThat(Math.abs(r.values()[i] - want) / Math.abs(want))
                    .as(what + " eigenvalue " + i)
                    .isLessThanOrEqualTo(1e-8);
        }
    }

    @ParameterizedTest
    @MethodSource("io.ntk4j.TestPaths#goldenCases")
    void effectiveRanksAndPartialDimsMatchMetricsTo1e9(String c) throws Exception {
        Path dir = TestPaths.golden(c);
        JsonNode m = metrics(c);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena));
                LinearOperator ppt = s.P().gram()) {
            rel(Traces.exact(s.K()).effectiveRank().value(), m.get("effrank_K").asDouble(), 1e-9, c + " effrank K");
            rel(Traces.exact(ppt).effectiveRank().value(), m.get("effrank_PPt").asDouble(), 1e-9, c + " effrank PPt");
            rel(
                    Traces.exact(s.ntk()).effectiveRank().value(),
                    m.get("effrank_NTK").asDouble(),
                    1e-9,
                    c + " effrank NTK");
            rel(Traces.exact(s.ntk()).trace().value(), m.get("trace").get("NTK").asDouble(), 1e-12, c + " tr NTK");
            for (Reduction red : Reduction.values()) {
                JsonNode want = m.get(
                        red == Reduction.KPFLOW ? "effdim_NTK_kpflow_definition" : "effdim_NTK_textbook_partial_trace");
                PartialEffectiveDims d =
                        EffectiveDims.partial(s.ntk(), s.batch(), s.steps(), s.hiddenSize(), red, true, 0, 0, 1);
                rel(d.batch().value(), want.get("batch").asDouble(), 1e-9, c + " " + red + " batch");
                rel(d.time().value(), want.get("time").asDouble(), 1e-9, c + " " + red + " time");
                rel(d.hidden().value(), want.get("hidden").asDouble(), 1e-9, c + " " + red + " hidden");
            }
        }
    }

    /** The cases of the fixed-count estimators below: the four reference cases. */
    static Stream<String> referenceCases() {
        return Stream.of("rnn_leaky_dt1", "rnn_leaky_dt0p1", "rnn_elman", "gru");
    }

    /**
     * What {@code spectrum} computes by default (the top 10 as an exact deflation, the rest
     * sampled until every standard error is within 1 %; kpflow's reduction exact) against the
     * exact values: within 2 % and within 3 reported standard errors.
     */
    @ParameterizedTest
    @MethodSource("io.ntk4j.TestPaths#goldenCases")
    void theDefaultAnalysisIsWithinTwoPercentAndThreeStandardErrors(String c) throws Exception {
        Path dir = TestPaths.golden(c);
        JsonNode m = metrics(c);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
            SpectrumAnalysis.Result r = SpectrumAnalysis.run(
                    s, SpectrumAnalysis.Target.NTK, EigsOptions.top(10), RankOptions.defaults(), false);
            double[] eig = Npy.read(dir.resolve("eig_NTK.npy"), arena).toArray();
            double s2 = 0, s4 = 0;
            for (double e : eig) {
                s2 += e * e;
                s4 += e * e * e * e;
            }
            honest(r.ranks().effectiveRank(), m.get("effrank_NTK").asDouble(), c + " effective rank");
            honest(r.ranks().effectiveRankKpflow(), s2 * s2 / s4, c + " PR(NTK^2)");
            JsonNode tp = m.get("effdim_NTK_textbook_partial_trace"), kp = m.get("effdim_NTK_kpflow_definition");
            PartialEffectiveDims d = r.partialDims(), k = r.dimsKpflow();
            honest(d.batch(), tp.get("batch").asDouble(), c + " batch");
            honest(d.time(), tp.get("time").asDouble(), c + " time");
            honest(d.hidden(), tp.get("hidden").asDouble(), c + " hidden");
            honest(k.batch(), kp.get("batch").asDouble(), c + " kpflow batch");
            honest(k.time(), kp.get("time").asDouble(), c + " kpflow time");
            honest(k.hidden(), kp.get("hidden").asDouble(), c + " kpflow hidden");
        }
    }

    private static void honest(Estimate e, double exact, String what) {
        rel(e.value(), exact, 0.02, what);
        assertThat(Math.abs(e.value() - exact))
                .as(what + ": " + e.value() + " +- " + e.stdError() + " vs " + exact)
                .isLessThanOrEqualTo(3 * e.stdError() + 1e-12 * Math.abs(exact));
    }

    // The fixed-count estimators (64 probes, 64 deflation vectors: no accuracy control), on the
    // four reference cases. On cells/rnn_linear_dt0p2 the true-partial-trace batch dimension (a
    // nearly rank-one 3 x 3 reduction, exact 1.122) comes out 2.6 % low with these counts; the
    // default analysis above, which samples until its error bars are met, is within 2 % there.
    @ParameterizedTest
    @MethodSource("referenceCases")
    void randomizedEstimatesWithDefaultsAreWithinTwoPercent(String c) throws Exception {
        Path dir = TestPaths.golden(c);
        JsonNode m = metrics(c);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
            rel(
                    Traces.estimate(s.ntk(), Spectrum.DEFAULT_PROBES, Spectrum.DEFAULT_SEED)
                            .effectiveRank()
                            .value(),
                    m.get("effrank_NTK").asDouble(),
                    0.02,
                    c + " estimated effrank NTK");
            rel(
                    Traces.estimate(s.K(), Spectrum.DEFAULT_PROBES, Spectrum.DEFAULT_SEED)
                            .effectiveRank()
                            .value(),
                    m.get("effrank_K").asDouble(),
                    0.02,
                    c + " estimated effrank K");
            for (Reduction red : Reduction.values()) {
                JsonNode want = m.get(
                        red == Reduction.KPFLOW ? "effdim_NTK_kpflow_definition" : "effdim_NTK_textbook_partial_trace");
                PartialEffectiveDims d = EffectiveDims.partial(
                        s.ntk(),
                        s.batch(),
                        s.steps(),
                        s.hiddenSize(),
                        red,
                        false,
                        Spectrum.DEFAULT_SAMPLES,
                        Spectrum.DEFAULT_DEFLATION,
                        Spectrum.DEFAULT_SEED);
                rel(d.batch().value(), want.get("batch").asDouble(), 0.02, c + " estimated " + red + " batch");
                rel(d.time().value(), want.get("time").asDouble(), 0.02, c + " estimated " + red + " time");
                rel(d.hidden().value(), want.get("hidden").asDouble(), 0.02, c + " estimated " + red + " hidden");
            }
        }
    }

    private static void rel(double actual, double expected, double tol, String what) {
        assertThat(Math.abs(actual - expected) / Math.abs(expected))
                .as(what + ": " + actual + " vs " + expected)
                .isLessThanOrEqualTo(tol);
    }
}
