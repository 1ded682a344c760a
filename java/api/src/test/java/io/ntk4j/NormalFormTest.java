package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.dynamics.Channel;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.dynamics.NormalForm;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/**
 * The channel of each codimension-one crossing on the scalar (or planar) system that is its own
 * normal form, against the closed-form linear-model law, and the normal-form cosine of each form.
 */
class NormalFormTest {
    static final int T = 3000;

    static Channel.Result channel(Model m, FixedPoints.FixedPoint p, double[] h0, int steps, NormalForm form) {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(m, Tensor.allocate(arena, 1, steps, 1), Tensor.of(arena, h0, 1, h0.length))) {
            return form == null
                    ? Channel.of(s, p, null, arena)
                    : Channel.of(s, p, null, arena, Channel.traces(s).trace().value(), form);
        }
    }

    @Test
    void flipChannelFollowsTheAlternatingLinearLawAndItsNormalForm() {
        // h' = tanh(-g h): lambda_c = -g at the origin, a flip at g = 1; the channel eigenvalue is the
        // pitchfork's, alpha0^2 (1 + g^2) / (1 - g^2)^3 (the signs alternate, the squares do not).
        double alpha0 = 1e-4;
        for (double g : new double[] {0.8, 0.9, 0.95}) {
            Model m = ChannelTest.elman(1, new double[] {0.4}, new double[] {-g}, null, null);
            FixedPoints.FixedPoint origin = ChannelTest.nearest(m, null, new double[] {0});
            assertThat(NormalForm.of(origin)).isEqualTo(NormalForm.FLIP);
            Channel.Result r = channel(m, origin, new double[] {alpha0}, T, null);
            double law = alpha0 * alpha0 * (1 + g * g) / Math.pow(1 - g * g, 3);
            assertThat(r.channelEigenvalue() / law).as("g = " + g).isCloseTo(1.0, within(1e-3));
            assertThat(r.mu()).isCloseTo(g - 1, within(1e-12));
            assertThat(r.shareOfTrace()).isCloseTo(1.0, within(1e-9));
            assertThat(r.normalFormCosine()).isCloseTo(1.0, within(1e-6));
            // The pitchfork's form (lambda_c = +1 + mu) contradicts the eigenvalue: refused, not computed.
            assertThatThrownBy(() -> channel(m, origin, new double[] {alpha0}, T, NormalForm.PITCHFORK))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("positive real critical eigenvalue");
        }
    }

    @Test
    void neimarkSackerChannelFollowsThePlanarLawAndTheComplexNormalForm() {
        // h' = tanh(r R(omega) h): a complex pair r e^(+-i omega); along grad mu = R(omega) / 2 the
        // state moves by t A^t h0 / (r sqrt 2), so ||c||^2 = (||h0||^2 / 2) (1 + r^2) / (1 - r^2)^3.
        double omega = 0.7;
        double[] h0 = {1e-4, 0.5e-4};
        for (double rr : new double[] {0.8, 0.9}) {
            double c = Math.cos(omega), s = Math.sin(omega);
            Model m = ChannelTest.elman(
                    2, new double[] {0.4, -0.3}, new double[] {rr * c, -rr * s, rr * s, rr * c}, null, null);
            FixedPoints.FixedPoint origin = ChannelTest.nearest(m, null, new double[] {0, 0});
            assertThat(NormalForm.of(origin)).isEqualTo(NormalForm.NEIMARK_SACKER);
            Channel.Result r = channel(m, origin, h0, T, null);
            double norm2 = h0[0] * h0[0] + h0[1] * h0[1];
            double law = norm2 / 2 * (1 + rr * rr) / Math.pow(1 - rr * rr, 3);
            assertThat(r.channelEigenvalue() / law).as("r = " + rr).isCloseTo(1.0, within(1e-3));
            assertThat(r.mu()).isCloseTo(rr - 1, within(1e-12));
            assertThat(r.normalFormCosine()).as("r = " + rr).isCloseTo(1.0, within(1e-6));
        }
    }

    @Test
    void saddleNodeChannelIsTheFixedPointsShiftAndFollowsTheUnfolding() {
        // h' = tanh(g h + b) near its fold (g = 1.5: a pair meets at h^2 = 1 - 1/g, b = -0.2076...),
        // started on the node: along grad mu the node moves, and the trajectory follows it as
        // c_t = K (1 - lambda^t) / (1 - lambda), K = (1 - h^2)(h u_whh + u_bih + u_bhh).
        double g = 1.5, b = -0.2;
        Model m =
                ChannelTest.elman(1, new double[] {0.4}, new double[] {g}, new double[] {b / 2}, new double[] {b / 2});
        FixedPoints.FixedPoint node = ChannelTest.nearest(m, null, new double[] {0.75});
        double h = node.state()[0], lambda = g * (1 - h * h);
        assertThat(lambda).isBetween(0.8, 1.0); // a stable node close to the fold
        int steps = 400;
        Channel.Result r = channel(m, node, new double[] {h}, steps, NormalForm.SADDLE_NODE);
        double[] u = r.gradMu().clone();
        double norm = Math.sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2] + u[3] * u[3]);
        double k = (1 - h * h) * (h * u[1] + u[2] + u[3]) / norm; // PyTorch order: w_ih, w_hh, b_ih, b_hh
        double law = 0;
        for (int t = 1; t <= steps; t++) {
            double ct = k * (1 - Math.pow(lambda, t)) / (1 - lambda);
            law += ct * ct;
        }
        assertThat(r.channelEigenvalue() / law).isCloseTo(1.0, within(1e-9));
        assertThat(r.mu()).isCloseTo(lambda - 1, within(1e-12));
        assertThat(r.normalFormCosine()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void aFormThatContradictsTheEigenvalueIsRefused() {
        Model m = ChannelTest.elman(1, new double[] {0.4}, new double[] {0.9}, null, null);
        FixedPoints.FixedPoint origin = ChannelTest.nearest(m, null, new double[] {0});
        assertThatThrownBy(() -> channel(m, origin, new double[] {1e-3}, 20, NormalForm.NEIMARK_SACKER))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("complex critical eigenvalue");
    }
}
