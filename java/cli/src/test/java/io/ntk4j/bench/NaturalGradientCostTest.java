package io.ntk4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The natural-gradient cost bench measures both methods and the eigen-solve it pays for (no timing asserted). */
class NaturalGradientCostTest {
    @Test
    void bothMethodsAreTimedAndTheNaturalGradientSolvesEveryStep() {
        NaturalGradientCost.Row r = NaturalGradientCost.measure(8, 4, 12, 2, 1, 3);
        assertThat(r.hidden()).isEqualTo(8);
        assertThat(r.sgdSecondsPerStep()).isPositive().isFinite();
        assertThat(r.ngSecondsPerStep()).isPositive().isFinite();
        assertThat(r.ratio())
                .isCloseTo(r.ngSecondsPerStep() / r.sgdSecondsPerStep(), org.assertj.core.api.Assertions.within(1e-12));
        // Every natural-gradient step runs a warm-started Lanczos solve of at least the rank's vectors.
        assertThat(r.lanczosVectorsPerStep()).isGreaterThanOrEqualTo(2);
        assertThat(r.tol()).isEqualTo(io.ntk4j.training.NaturalGradient.DEFAULT_TOL);
        // The cost lever: a looser solve needs no more vectors per step.
        NaturalGradientCost.Row loose = NaturalGradientCost.measure(8, 4, 12, 2, 1, 3, 1e-2);
        assertThat(loose.tol()).isEqualTo(1e-2);
        assertThat(loose.lanczosVectorsPerStep()).isLessThanOrEqualTo(r.lanczosVectorsPerStep());
    }

    @Test
    void theStabilityComparisonRunsBothMethodsFromTheSameStudentAtEachRate() {
        java.util.List<NaturalGradientCost.Stability> rows =
                NaturalGradientCost.stability(8, 4, 12, 2, 6, new double[] {1e-4, 1e3});
        assertThat(rows)
                .extracting(NaturalGradientCost.Stability::method)
                .containsExactly("sgd", "lowrank_ng", "sgd", "lowrank_ng");
        NaturalGradientCost.Stability small = rows.get(0);
        assertThat(small.diverged()).isFalse();
        assertThat(small.maxSpike()).isGreaterThanOrEqualTo(1);
        assertThat(small.lossRatio()).isPositive().isLessThan(1); // a small rate lowers the loss
        assertThat(small.originMu()).isNegative(); // six small steps do not reach the pitchfork
        // A rate of 1000 blows both up (the leaky cell's states are not bounded): diverged, no radius.
        for (NaturalGradientCost.Stability huge : rows.subList(2, 4)) {
            assertThat(huge.diverged()).isTrue();
            assertThat(huge.lossRatio()).isGreaterThan(1e6);
            assertThat(huge.originMu()).isNaN();
        }
    }
}
