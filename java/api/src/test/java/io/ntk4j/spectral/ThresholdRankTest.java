package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import org.junit.jupiter.api.Test;

class ThresholdRankTest {
    @Test
    void exactFromTheWholeSpectrum() {
        // trace 10: 0.95 * 10 = 9.5 is reached by 5 + 3 + 1 + 0.5 (k = 4), 0.8 by 5 + 3 (k = 2).
        double[] spectrum = {5, 3, 1, 0.5, 0.3, 0.2};
        ThresholdRank r = ThresholdRank.of(spectrum, null, 0.95);
        assertThat(r.rank()).isEqualTo(4);
        assertThat(r.exact()).isTrue();
        assertThat(r.resolved()).isTrue();
        assertThat(ThresholdRank.of(spectrum, null, 0.8).rank()).isEqualTo(2);
        assertThat(ThresholdRank.of(spectrum, null, 1.0).rank()).isEqualTo(6);
    }

    @Test
    void fromTopEigenvaluesAndAnEstimatedTrace() {
        double[] top = {5, 3, 1};
        // tr 10 +- 0.1: 0.95 (10 +- 0.2) lies in 9.31 .. 9.69, beyond 5 + 3 + 1 = 9: unresolved.
        ThresholdRank far = ThresholdRank.of(top, new Estimate(10, 0.1, 100), 0.95);
        assertThat(far.rank()).isEqualTo(-1);
        assertThat(far.upper()).isEqualTo(-1);
        assertThat(far.lower()).isEqualTo(4);
        assertThat(far.resolved()).isFalse();
        // q = 0.85: 8.33 .. 8.67 (8.5 at the estimate) is reached by the third value: rank 3, 3..3.
        ThresholdRank near = ThresholdRank.of(top, new Estimate(10, 0.1, 100), 0.85);
        assertThat(near.rank()).isEqualTo(3);
        assertThat(near.lower()).isEqualTo(3);
        assertThat(near.upper()).isEqualTo(3);
        assertThat(near.resolved()).isTrue();
        // A wide error bar: 0.79 * (10 +- 2) = 6.32 .. 9.48: between 2 and beyond the top three.
        ThresholdRank wide = ThresholdRank.of(top, new Estimate(10, 1.0, 100), 0.79);
        assertThat(wide.rank()).isEqualTo(2);
        assertThat(wide.lower()).isEqualTo(2);
        assertThat(wide.upper()).isEqualTo(-1);
        assertThat(wide.resolved()).isFalse();
    }

    @Test
    void refusesWhatHasNoThresholdRank() {
        assertThatThrownBy(() -> ThresholdRank.of(new double[] {1}, null, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> ThresholdRank.of(new double[] {0, 0}, null, 0.9))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("trace");
    }
}
