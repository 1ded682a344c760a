package io.ntk4j.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The weight-scale sweep of K's partial effective dimensions against the Kronecker core. */
class SweepTest {
    static Model leaky(int h, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] wih = new double[h * n], whh = new double[h * h];
        for (int i = 0; i < wih.length; i++) {
            wih[i] = r.nextGaussian();
        }
        for (int i = 0; i < whh.length; i++) {
            whh[i] = r.nextGaussian() / Math.sqrt(h);
        }
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", wih);
        p.put("weight_hh", whh);
        return Model.of(CellKind.RNN_LEAKY, h, n, 0.3, false, p);
    }

    @Test
    void exactPartialDimsOfKMatchTheKroneckerCoreAtEveryGain() {
        Model base = leaky(6, 2, 11);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 5, 1.0, 3, 7, 2);
            for (double g : Sweep.values("0:3:7")) {
                Sweep.Point p = Sweep.analyze(
                        0, g, "g", base.withGain(g), x, io.ntk4j.spectral.SpectrumAnalysis.Target.K, true, 1, 1);
                Sweep.Prediction k = p.prediction();
                assertThat(k).isNotNull();
                assertThat(p.dims()[0]).as("batch, g = " + g).isCloseTo(k.batch(), within(1e-9 * k.batch()));
                assertThat(p.dims()[1]).as("time, g = " + g).isCloseTo(k.time(), within(1e-9 * k.time()));
                assertThat(p.dims()[2]).as("hidden, g = " + g).isCloseTo(6.0, within(1e-9 * 6));
                assertThat(p.dimsKpflow()[0])
                        .as("kpflow batch")
                        .isCloseTo(k.batchKpflow(), within(1e-9 * k.batchKpflow()));
                assertThat(p.dimsKpflow()[1])
                        .as("kpflow time")
                        .isCloseTo(k.timeKpflow(), within(1e-9 * k.timeKpflow()));
                assertThat(p.dimsKpflow()[2]).as("kpflow hidden").isCloseTo(6.0, within(1e-9 * 6));
                assertThat(k.prGammaSquared()).isBetween(1.0, 21.0);
            }
        }
    }

    /** The randomized point (spectrum's defaults) agrees with the exact one within its reported error. */
    @Test
    void randomizedPointsAgreeWithExactOnesWithinTheirErrors() {
        Model base = leaky(6, 2, 11);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 5, 1.0, 3, 7, 2);
            for (io.ntk4j.spectral.SpectrumAnalysis.Target op : io.ntk4j.spectral.SpectrumAnalysis.Target.values()) {
                if (op == io.ntk4j.spectral.SpectrumAnalysis.Target.NTK_Y) {
                    continue; // outputs inside the state only (attention_mlp): SpectrumAnalysisTest
                }
                Sweep.Point ex = Sweep.analyze(0, 1.2, "g", base.withGain(1.2), x, op, true, 1, 1);
                Sweep.Point rnd = Sweep.analyze(0, 1.2, "g", base.withGain(1.2), x, op, false, 64, 1);
                assertThat(rnd.accuracyMet()).as(op.name()).isTrue();
                assertThat(rnd.worstRelativeError()).as(op.name()).isPositive().isLessThanOrEqualTo(0.01);
                double tol = 3 * rnd.worstRelativeError();
                assertThat(rnd.effectiveRank())
                        .as(op + " PR")
                        .isCloseTo(ex.effectiveRank(), within(tol * ex.effectiveRank()));
                for (int i = 0; i < 3; i++) {
                    assertThat(rnd.dims()[i]).as(op + " dim " + i).isCloseTo(ex.dims()[i], within(tol * ex.dims()[i]));
                    assertThat(rnd.dimsKpflow()[i])
                            .as(op + " kpflow " + i)
                            .isCloseTo(ex.dimsKpflow()[i], within(1e-9 * ex.dimsKpflow()[i]));
                }
                assertThat(ex.worstRelativeError()).isZero();
            }
        }
    }

    @Test
    void valuesParseAndBadOnesAreRefused() {
        assertThat(Sweep.values("0:3:4")).containsExactly(0, 1, 2, 3);
        assertThat(Sweep.values("0.5, 2")).containsExactly(0.5, 2);
        assertThat(Sweep.values("1:1:1")).containsExactly(1);
        assertThatThrownBy(() -> Sweep.values("0:3"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("a:b:n");
        assertThatThrownBy(() -> Sweep.values("0:3:0")).hasMessageContaining("1 <= n");
        assertThatThrownBy(() -> Sweep.values("a,b")).hasMessageContaining("comma-separated");
        assertThatThrownBy(() -> leaky(3, 1, 1).withGain(Double.NaN)).hasMessageContaining("finite");
    }
}
