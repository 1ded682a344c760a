package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.dynamics.Bifurcations;
import io.ntk4j.dynamics.FixedPoints;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Crossings of the unit circle on hand-built cells, each of a known kind at g = 1. */
class BifurcationsTest {
    static Model elman(int h, double[] whh) {
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", new double[h]);
        p.put("weight_hh", whh);
        return Model.of(CellKind.RNN_ELMAN, h, 1, 1.0, false, p);
    }

    static double[] gains(double from, double to, int n) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = from + (to - from) * i / (n - 1);
        }
        return g;
    }

    @Test
    void pitchforkOfTanhRnn() {
        Bifurcations.Sweep s = Bifurcations.sweepGain(
                elman(1, new double[] {1.0}), gains(0.6, 1.4, 9), null, FixedPoints.Options.defaults());
        assertThat(s.crossings()).hasSize(1);
        Bifurcations.Crossing c = s.crossings().get(0);
        assertThat(c.kind()).isEqualTo(Bifurcations.Kind.PITCHFORK);
        assertThat(c.before()).isLessThan(1.0 + 1e-12);
        assertThat(c.after()).isGreaterThanOrEqualTo(1.0 - 1e-12);
        // mu = g - 1 on the origin branch, below the bifurcation.
        assertThat(s.points().get(0).mu()).isCloseTo(0.6 - 1, within(1e-10));
    }

    @Test
    void flipForNegativeGain() {
        Bifurcations.Sweep s = Bifurcations.sweepGain(
                elman(1, new double[] {-1.0}), gains(0.6, 1.4, 9), null, FixedPoints.Options.defaults());
        assertThat(s.crossings()).extracting(Bifurcations.Crossing::kind).containsExactly(Bifurcations.Kind.FLIP);
    }

    @Test
    void neimarkSackerForARotation() {
        double th = 0.7;
        double[] rot = {Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)};
        FixedPoints.Options o = new FixedPoints.Options(8, 0, 100, 1e-12, 0.05, 1); // Newton near the origin
        Bifurcations.Sweep s = Bifurcations.sweepGain(elman(2, rot), gains(0.6, 1.4, 9), null, o);
        assertThat(s.crossings()).extracting(Bifurcations.Crossing::kind).contains(Bifurcations.Kind.NEIMARK_SACKER);
        Bifurcations.Crossing c = s.crossings().get(0);
        assertThat(Math.atan2(c.criticalIm(), c.criticalRe())).isCloseTo(th, within(0.05));
    }

    @Test
    void saddleNodeWhenABiasBreaksTheSymmetry() {
        // h' = tanh(g h + 0.2): for large g three fixed points; as g falls the middle (unstable) one
        // and the negative stable one collide and vanish, leaving one: a saddle-node, not a pitchfork
        // (the pair is not mirrored about the tracked point).
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", new double[] {0});
        p.put("weight_hh", new double[] {1.0});
        p.put("bias_ih", new double[] {0.2});
        p.put("bias_hh", new double[] {0});
        Model m = Model.of(CellKind.RNN_ELMAN, 1, 1, 1.0, true, p);
        Bifurcations.Sweep s = Bifurcations.sweepGain(m, gains(3.0, 1.0, 41), null, FixedPoints.Options.defaults());
        assertThat(s.points().get(0).fixedPoints()).hasSize(3);
        assertThat(s.points().get(40).fixedPoints()).hasSize(1);
        assertThat(s.crossings())
                .extracting(Bifurcations.Crossing::kind)
                .containsExactly(Bifurcations.Kind.SADDLE_NODE);
        // The tangency g (1 - h^2) = 1 with h = tanh(g h + 0.2) lies between the two sweep values.
        Bifurcations.Crossing c = s.crossings().get(0);
        double lo = Math.min(c.before(), c.after()), hi = Math.max(c.before(), c.after());
        double gStar = saddleNodeGain(0.2);
        assertThat(gStar).isBetween(lo, hi);
    }

    /** The g at which h = tanh(g h + b) has a double root with h < 0 (bisection on the tangency). */
    private static double saddleNodeGain(double b) {
        // On the tangency, h = -sqrt(1 - 1/g) and atanh(h) = g h + b: solve F(g) = atanh(h) - g h - b = 0.
        double lo = 1.0001, hi = 3;
        for (int i = 0; i < 200; i++) {
            double g = 0.5 * (lo + hi), h = -Math.sqrt(1 - 1 / g);
            double f = 0.5 * Math.log((1 + h) / (1 - h)) - g * h - b;
            double hl = -Math.sqrt(1 - 1 / lo), fl = 0.5 * Math.log((1 + hl) / (1 - hl)) - lo * hl - b;
            if (Math.signum(f) == Math.signum(fl)) {
                lo = g;
            } else {
                hi = g;
            }
        }
        return 0.5 * (lo + hi);
    }
}
