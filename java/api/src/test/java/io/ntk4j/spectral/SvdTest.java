package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import org.junit.jupiter.api.Test;

/** Svd.top with its own options, on a rectangular operator with known singular values. */
class SvdTest {
    @Test
    void topSingularValuesOfAScaledSelection() {
        // A: R^60 -> R^40, (A x)_i = (40 - i) x_i: singular values 40, 39, ..., 1.
        LinearOperator a = LinearOperator.of(
                40,
                60,
                (in, out) -> {
                    long k = in.size() / 60;
                    for (long j = 0; j < k; j++) {
                        for (int i = 0; i < 40; i++) {
                            out.setFlat(j * 40 + i, (40 - i) * in.getFlat(j * 60 + i));
                        }
                    }
                },
                (in, out) -> {
                    long k = in.size() / 40;
                    for (long j = 0; j < k; j++) {
                        for (int i = 0; i < 60; i++) {
                            out.setFlat(j * 60 + i, i < 40 ? (40 - i) * in.getFlat(j * 40 + i) : 0);
                        }
                    }
                });
        SvdResult r = Svd.top(a, SvdOptions.top(4).withVectors(true).withMaxIterations(100));
        assertThat(r.converged()).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            assertThat(r.values()[i]).isCloseTo(40 - i, within(1e-8 * 40));
        }
        assertThat(r.u().shape()).containsExactly(4, 40);
        assertThat(r.v().shape()).containsExactly(4, 60);
        assertThatThrownBy(() -> SvdOptions.top(0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("k must be > 0");
        assertThatThrownBy(() -> Svd.top(a, SvdOptions.top(41)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("40 x 60");
    }
}
