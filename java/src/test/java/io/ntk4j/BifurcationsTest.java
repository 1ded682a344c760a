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
    Bifurcations.Sweep s = Bifurcations.sweepGain(elman(1, new double[] {1.0}), gains(0.6, 1.4, 9), null,
        FixedPoints.Options.defaults());
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
    Bifurcations.Sweep s = Bifurcations.sweepGain(elman(1, new double[] {-1.0}), gains(0.6, 1.4, 9), null,
        FixedPoints.Options.defaults());
    assertThat(s.crossings()).extracting(Bifurcations.Crossing::kind).containsExactly(Bifurcations.Kind.FLIP);
  }

  @Test
  void neimarkSackerForARotation() {
    double th = 0.7;
    double[] rot = {Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)};
    FixedPoints.Options o = new FixedPoints.Options(8, 0, 100, 1e-12, 0.05, 1);  // Newton near the origin
    Bifurcations.Sweep s = Bifurcations.sweepGain(elman(2, rot), gains(0.6, 1.4, 9), null, o);
    assertThat(s.crossings()).extracting(Bifurcations.Crossing::kind).contains(Bifurcations.Kind.NEIMARK_SACKER);
    Bifurcations.Crossing c = s.crossings().get(0);
    assertThat(Math.atan2(c.criticalIm(), c.criticalRe())).isCloseTo(th, within(0.05));
  }
}
