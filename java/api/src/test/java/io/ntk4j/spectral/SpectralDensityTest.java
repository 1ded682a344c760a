package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Stochastic Lanczos quadrature against the exact spectrum of NTK_S on a small model. */
class SpectralDensityTest {
    private static final Path GRU = TestPaths.golden("gru");

    @Test
    void quadratureMomentsAndDensityCoverTheExactSpectrum() {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(GRU), Npy.read(GRU.resolve("inputs.npy"), arena))) {
            LinearOperator a = s.ntk();
            double[] exact = Eigs.exact(a);
            long n = exact.length;
            SpectralDensity.Result d = SpectralDensity.slq(a, 24, 30, 200, 0, 3);
            assertThat(d.applies()).isEqualTo(30);
            // Hutchinson-type moments from the quadrature, within 4 standard errors of tr A^p.
            for (int p = 1; p <= 3; p++) {
                final int pp = p;
                double want = 0;
                for (double l : exact) {
                    want += Math.pow(l, p);
                }
                Estimate e = d.trace(x -> Math.pow(x, pp), n);
                assertThat(Math.abs(e.value() - want))
                        .as("tr A^" + p + " = " + want + " vs " + e)
                        .isLessThanOrEqualTo(4 * e.stdError());
            }
            // Each probe's weights sum to 1, so the density integrates to n (trapezoid on the grid).
            double integral = 0;
            for (int i = 1; i < d.grid().length; i++) {
                integral += 0.5 * (d.density()[i] + d.density()[i - 1]) * (d.grid()[i] - d.grid()[i - 1]);
            }
            assertThat(integral).isCloseTo(n, org.assertj.core.data.Offset.offset(0.01 * n));
            // The smoothed exact density lies within the error bars at nearly every grid point.
            int outside = 0;
            for (int i = 0; i < d.grid().length; i++) {
                double phi = 0;
                for (double l : exact) {
                    double z = (d.grid()[i] - l) / d.sigma();
                    phi += Math.exp(-0.5 * z * z) / (Math.sqrt(2 * Math.PI) * d.sigma());
                }
                if (Math.abs(phi - d.density()[i]) > 4 * d.stdError()[i] + 1e-9 * n / d.sigma()) {
                    outside++;
                }
            }
            assertThat(outside).as("grid points outside 4 standard errors").isLessThanOrEqualTo(d.grid().length / 20);
        }
    }

    @Test
    void withAsManyStepsAsTheDimensionEachProbeIsExact() {
        // n Lanczos steps: every probe's quadrature reproduces v^T A^2 v; the nodes are A's eigenvalues.
        LinearOperator diag = LinearOperator.symmetric(6, (in, out) -> {
            for (long i = 0; i < in.size(); i++) {
                out.setFlat(i, (i % 6 + 1) * in.getFlat(i));
            }
        });
        SpectralDensity.Result d = SpectralDensity.slq(diag, 3, 6, 50, 0.1, 1);
        for (double[] nodes : d.nodes()) {
            assertThat(nodes[0]).isCloseTo(6, org.assertj.core.data.Offset.offset(1e-10));
            assertThat(nodes[nodes.length - 1]).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-10));
        }
        // Random-sign probes weigh every eigenvalue 1/n: tr A^2 = 91 with no sampling error at all.
        assertThat(d.trace(x -> x * x, 6).value()).isCloseTo(91, org.assertj.core.data.Offset.offset(1e-9));
        assertThatThrownBy(() -> SpectralDensity.slq(diag, 1, 6, 50, 0, 1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("probes >= 2");
    }
}
