package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.dynamics.Channel;
import io.ntk4j.dynamics.FixedPoints;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bifurcation channel: grad mu against finite differences, and the linear-model theory. */
public class ChannelTest {
    static Model elman(int h, double[] wih, double[] whh, double[] bih, double[] bhh) {
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", wih);
        p.put("weight_hh", whh);
        if (bih != null) {
            p.put("bias_ih", bih);
            p.put("bias_hh", bhh);
        }
        return Model.of(CellKind.RNN_ELMAN, h, wih.length / h, 1.0, bih != null, p);
    }

    static double mu(Model m, double[] xBar, double[] near) {
        return nearest(m, xBar, near).spectralRadius()
                - 1; // the critical eigenvalue of these symmetric-W cases is the largest
    }

    /** The fixed point nearest {@code near} (max-norm), from Newton started near it. */
    static FixedPoints.FixedPoint nearest(Model m, double[] xBar, double[] near) {
        FixedPoints.Result r = FixedPoints.find(m, xBar, new FixedPoints.Options(4, 0, 100, 1e-14, 0.1, 3));
        FixedPoints.FixedPoint best = null;
        double bd = Double.MAX_VALUE;
        for (FixedPoints.FixedPoint p : r.points()) {
            double d = 0;
            for (int i = 0; i < near.length; i++) {
                d = Math.max(d, Math.abs(p.state()[i] - near[i]));
            }
            if (d < bd) {
                bd = d;
                best = p;
            }
        }
        return best;
    }

    @Test
    void gradMuMatchesFiniteDifferencesThroughTheFixedPointsDependence() {
        // Symmetric W_hh (real spectrum), a constant input and biases, so h_bar != 0 depends on theta.
        int h = 3;
        SplittableRandom rng = new SplittableRandom(5);
        double[] whh = new double[h * h];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j <= i; j++) {
                whh[i * h + j] = whh[j * h + i] = 0.6 * rng.nextGaussian();
            }
        }
        double[] wih = {0.5, -0.3, 0.8}, bih = {0.1, -0.2, 0.05}, bhh = {0.02, 0.1, -0.1};
        double[] xBar = {0.7};
        Model m = elman(h, wih, whh, bih, bhh);
        FixedPoints.FixedPoint p = FixedPoints.find(m, xBar, FixedPoints.Options.defaults())
                .points()
                .get(0);
        assertThat(Math.abs(p.state()[0]) + Math.abs(p.state()[1])).isPositive();
        assertThat(gradMuErrorAgainstFiniteDifferences(m, p, xBar, q -> mu(q, xBar, p.state())))
                .isLessThan(1e-6);
    }

    /** max_k |grad mu_k - central difference_k| / max_k |central difference_k|, mu measured by {@code mu}. */
    private static double gradMuErrorAgainstFiniteDifferences(
            Model m, FixedPoints.FixedPoint p, double[] xBar, java.util.function.ToDoubleFunction<Model> mu) {
        double[] g = Channel.gradMu(m, p, xBar);
        double[] theta = m.parameterVector();
        double eps = 1e-6, worst = 0, scale = 0;
        for (int k = 0; k < theta.length; k++) {
            double[] plus = theta.clone(), minus = theta.clone();
            plus[k] += eps;
            minus[k] -= eps;
            double fd = (mu.applyAsDouble(rebuild(m, plus)) - mu.applyAsDouble(rebuild(m, minus))) / (2 * eps);
            worst = Math.max(worst, Math.abs(fd - g[k]));
            scale = Math.max(scale, Math.abs(fd));
        }
        return worst / scale;
    }

    @Test
    void gradMuOfAComplexPairMatchesFiniteDifferences() {
        // A damped rotation with biases and an input: the critical eigenvalues are a complex pair
        // (Neimark-Sacker type), and h_bar != 0 depends on theta.
        int h = 2;
        double th = 0.6, r = 0.9;
        double[] whh = {r * Math.cos(th), -r * Math.sin(th), r * Math.sin(th), r * Math.cos(th)};
        double[] wih = {0.4, -0.7}, bih = {0.05, -0.1}, bhh = {0.02, 0.03};
        double[] xBar = {0.3};
        Model m = elman(h, wih, whh, bih, bhh);
        FixedPoints.FixedPoint p = FixedPoints.find(m, xBar, FixedPoints.Options.defaults())
                .points()
                .get(0);
        int c = p.criticalIndex();
        assertThat(Math.abs(p.eigenvaluesIm()[c])).isGreaterThan(0.1);
        assertThat(gradMuErrorAgainstFiniteDifferences(
                        m, p, xBar, q -> nearest(q, xBar, p.state()).mu()))
                .isLessThan(1e-6);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(m, Tensor.gaussian(arena, 4, 1.0, 2, 30, 1))) {
            Channel.Result res = Channel.of(s, p, xBar, arena);
            assertThat(res.shareOfTrace()).isBetween(0.0, 1.0);
            // The complex normal form applies (NormalFormTest checks it where it is exact).
            assertThat(res.normalFormCosine()).isBetween(0.0, 1.0);
        }
    }

    public static Model rebuild(Model m, double[] theta) {
        Map<String, double[]> p = new LinkedHashMap<>();
        int off = 0;
        for (String name : m.parameterNames()) {
            int len = m.parameter(name).length;
            p.put(name, java.util.Arrays.copyOfRange(theta, off, off + len));
            off += len;
        }
        return Model.of(m.cell(), m.hiddenSize(), m.inputSize(), m.dt(), m.bias(), p);
    }

    @Test
    void cubicCoefficientOfTanhIsGCubedOverThree() {
        // tanh(g h) = g h - (g h)^3 / 3 + ...: kappa = g^3 / 3 along v = 1 at the origin.
        for (double g : new double[] {0.7, 1.3}) {
            Model m = elman(1, new double[] {0.4}, new double[] {g}, null, null);
            FixedPoints.FixedPoint origin = FixedPoints.find(m, null, FixedPoints.Options.defaults()).points().stream()
                    .filter(p -> Math.abs(p.state()[0]) < 1e-12)
                    .findFirst()
                    .orElseThrow();
            assertThat(Channel.cubicCoefficient(m, origin, null)).as("g = " + g).isCloseTo(g * g * g / 3, within(1e-6));
        }
    }

    @Test
    void scalarChannelGrowsLikeTheLinearModelTheory() {
        // h' = tanh(g h) from h0 = alpha0 with no input: near h_bar = 0 it is alpha' = g alpha, and the
        // channel eigenvalue is alpha0^2 (1 + g^2) / (1 - g^2)^3 in the linear, long-time limit.
        double alpha0 = 1e-4;
        int t = 3000;
        double previous = 0;
        for (double g : new double[] {0.8, 0.9, 0.95}) {
            Model m = elman(1, new double[] {0.4}, new double[] {g}, null, null);
            FixedPoints.FixedPoint origin = FixedPoints.find(m, null, FixedPoints.Options.defaults())
                    .points()
                    .get(0);
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(
                            m, Tensor.allocate(arena, 1, t, 1), Tensor.of(arena, new double[] {alpha0}, 1, 1))) {
                Channel.Result r = Channel.of(s, origin, null, arena);
                double theory = alpha0 * alpha0 * (1 + g * g) / Math.pow(1 - g * g, 3);
                assertThat(r.channelEigenvalue() / theory).as("g = " + g).isCloseTo(1.0, within(1e-3));
                assertThat(r.channelEigenvalue()).isGreaterThan(previous);
                previous = r.channelEigenvalue();
                assertThat(r.mu()).isCloseTo(g - 1, within(1e-12));
                // With no input, NTK_S = c c^T exactly: the channel is all of it.
                assertThat(r.shareOfTrace()).isCloseTo(1.0, within(1e-9));
                assertThat(r.cosineWithTopEigenvector()).isCloseTo(1.0, within(1e-9));
                // Near h_bar = 0 the cell is its own normal form to O(alpha^2): the prediction is c's direction.
                assertThat(r.normalFormCosine()).isCloseTo(1.0, within(1e-6));
            }
        }
    }
}
