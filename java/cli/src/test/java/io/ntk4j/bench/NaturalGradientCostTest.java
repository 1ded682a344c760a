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
    }
}
