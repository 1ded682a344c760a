package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.NumericalException;
import io.ntk4j.Session;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** EffectiveDims.ranks from Java: deflated by an eigen-solve's vectors, on session and user operators. */
class RanksTest {
    @Test
    void effectiveRankOfAJavaOperatorIsWithinItsError() {
        // diag(1..400): PR = (sum i)^2 / sum i^2, exactly known.
        long n = 400;
        LinearOperator d = OperatorAlgebraTest.diagonal(n, new AtomicLong());
        double s1 = n * (n + 1) / 2.0, s2 = n * (n + 1) * (2 * n + 1) / 6.0;
        EigenResult top = Eigs.top(d, EigsOptions.top(8).withVectors(true));
        RankEstimates r = EffectiveDims.ranks(
                d, top.vectors(), 0, 0, 0, RankOptions.defaults().withPartial(false));
        assertThat(r.accuracyMet()).isTrue();
        assertThat(r.deflation()).isEqualTo(8);
        assertThat(r.partialDims()).isNull();
        assertThat(Math.abs(r.effectiveRank().value() - s1 * s1 / s2))
                .isLessThanOrEqualTo(3 * r.effectiveRank().stdError());
        assertThat(r.effectiveRank().stdError())
                .isPositive()
                .isLessThanOrEqualTo(0.01 * r.effectiveRank().value());
    }

    @Test
    void sessionNtkMatchesTheGoldenMetricsAndBadRequestsAreRefused() throws Exception {
        Path dir = TestPaths.golden("gru");
        var metrics = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(dir.resolve("metrics.json").toFile());
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
            EigenResult top;
            try (LinearOperator j = s.P().compose(s.jtheta())) {
                top = Eigs.topOfGram(j, EigsOptions.top(4).withVectors(true));
            }
            RankEstimates r = EffectiveDims.ranks(
                    s.ntk(), top.vectors(), s.batch(), s.steps(), s.hiddenSize(), RankOptions.defaults());
            assertThat(r.accuracyMet()).isTrue();
            double want = metrics.get("effrank_NTK").asDouble();
            assertThat(Math.abs(r.effectiveRank().value() - want))
                    .isLessThanOrEqualTo(3 * r.effectiveRank().stdError());
            assertThat(r.partialDimsKpflow()).isNull(); // not asked for by default (rank-one samples: costly)
            assertThatThrownBy(() -> EffectiveDims.ranks(
                            s.ntk(), top.vectors(), s.batch() + 1, s.steps(), s.hiddenSize(), RankOptions.defaults()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("[B,T,H]");
            assertThatThrownBy(() -> EffectiveDims.ranks(
                            s.P(), null, s.batch(), s.steps(), s.hiddenSize(), RankOptions.defaults()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("symmetric");
        }
        assertThatThrownBy(() -> RankOptions.defaults().withAccuracy(0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("accuracy");
        assertThatThrownBy(() -> RankOptions.defaults().withTraces(false).withPartial(false))
                .isInstanceOf(InvalidInputException.class);
    }

    @Test
    void zeroOperatorIsANumericalFailure() {
        LinearOperator zero = LinearOperator.symmetric(50, (in, out) -> {
            for (long i = 0; i < in.size(); i++) {
                out.setFlat(i, 0.0);
            }
        });
        assertThatThrownBy(() -> EffectiveDims.ranks(
                        zero, null, 0, 0, 0, RankOptions.defaults().withPartial(false)))
                .isInstanceOf(NumericalException.class)
                .hasMessageContaining("undefined");
    }
}
