package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.dynamics.Channel;
import io.ntk4j.dynamics.ChannelMap;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.spectral.Eigs;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** The (mu, T) channel map (issue 17): every figure against dense exact computation, and the linear law. */
class ChannelMapTest {
    private static final FixedPoints.Options FP = new FixedPoints.Options(8, 500, 100, 1e-12, 1.0, 0);

    @Test
    void everyPointEqualsTheDenseComputation() {
        Model m = RandomModels.model(CellKind.RNN_LEAKY, false, 4, 2, 11).withGain(0.9);
        ChannelMap.Drive drive = new ChannelMap.Drive(3, 0.3, 5, null);
        int[] steps = {1, 3, 7}; // T = 1: NTK_S (12) smaller than the parameter side (24); else the parameter Gram
        ChannelMap.Point[] pts = ChannelMap.measure(m, steps, drive, FP);
        FixedPoints.FixedPoint origin = FixedPoints.find(m, null, FP).points().get(0);
        for (int i = 0; i < steps.length; i++) {
            ChannelMap.Point p = pts[i];
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(m, ChannelMap.inputs(drive, steps[i], 2, arena))) {
                int n = (int) (s.batch() * s.steps() * s.hiddenSize());
                double[] ev = Eigs.exact(s.ntk()); // descending
                double tr = 0, tr2 = 0;
                for (double l : ev) {
                    tr += l;
                    tr2 += l * l;
                }
                Tensor top = Eigs.exactVectors(s.ntk(), 1, arena);
                Channel.Result c = Channel.of(s, origin, null, arena, tr);
                double cc = 0, dot = 0;
                for (int j = 0; j < n; j++) {
                    cc += c.channel().getFlat(j) * c.channel().getFlat(j);
                    dot += c.channel().getFlat(j) * top.getFlat(j);
                }
                assertThat(p.steps()).isEqualTo(steps[i]);
                assertThat(p.mu()).isCloseTo(origin.mu(), within(1e-15));
                assertThat(p.traceNtk()).isCloseTo(tr, within(1e-10 * tr));
                assertThat(p.effectiveRank()).isCloseTo(tr * tr / tr2, within(1e-10 * tr * tr / tr2));
                assertThat(p.effectiveRankStdError()).isZero(); // exact on the parameter side
                assertThat(p.channelEigenvalue()).isCloseTo(cc, within(1e-12 * cc));
                assertThat(p.shareOfTrace()).isCloseTo(cc / tr, within(1e-10 * cc / tr));
                assertThat(p.cosineWithTopEigenvector()).isCloseTo(Math.abs(dot) / Math.sqrt(cc), within(1e-8));
                assertThat(p.normalFormCosine()).isCloseTo(c.normalFormCosine(), within(1e-12));
                assertThat(p.linearLaw()).isEqualTo(ChannelMap.linearLaw(origin.mu(), steps[i]));
            }
        }
    }

    @Test
    void aLongerHorizonExtendsAShorterOne() {
        ChannelMap.Drive drive = new ChannelMap.Drive(3, 0.5, 9, null);
        try (Arena arena = Arena.ofConfined()) {
            Tensor shortX = ChannelMap.inputs(drive, 4, 2, arena), longX = ChannelMap.inputs(drive, 10, 2, arena);
            for (int b = 0; b < 3; b++) {
                for (int i = 0; i < 4 * 2; i++) {
                    assertThat(longX.getFlat(b * 10 * 2 + i)).isEqualTo(shortX.getFlat(b * 4 * 2 + i));
                }
            }
            assertThat(longX.getFlat(0)).isNotEqualTo(longX.getFlat(10 * 2)); // trials differ
        }
    }

    @Test
    void theScalarChannelFollowsTheLinearLawAtEveryHorizon() {
        // h' = tanh(g h) from h0 = alpha0, no input: c_t = d h_t / d g = t g^(t-1) alpha0 to O(alpha0^3), so
        // ||c||^2 = alpha0^2 sum_{t<=T} t^2 g^(2(t-1)), also next to and beyond the crossing (g = 0.999, 1.02; at g = 1
        // exactly, I - J is singular).
        double alpha0 = 1e-4;
        for (double g : new double[] {0.9, 0.999, 1.02}) {
            Model m = ChannelTest.elman(1, new double[] {0.4}, new double[] {g}, null, null);
            FixedPoints.FixedPoint origin = FixedPoints.find(m, null, FixedPoints.Options.defaults()).points().stream()
                    .filter(p -> Math.abs(p.state()[0]) < 1e-12)
                    .findFirst()
                    .orElseThrow();
            for (int t : new int[] {20, 100}) {
                try (Arena arena = Arena.ofConfined();
                        Session s = Session.open(
                                m, Tensor.allocate(arena, 1, t, 1), Tensor.of(arena, new double[] {alpha0}, 1, 1))) {
                    Channel.Result r = Channel.of(s, origin, null, arena);
                    double law = alpha0 * alpha0 * ChannelMap.linearLaw(r.mu(), t);
                    assertThat(r.channelEigenvalue() / law)
                            .as("g = %s, T = %d", g, t)
                            .isCloseTo(1.0, within(1e-4));
                }
            }
        }
    }

    @Test
    void theLinearLawHasItsClosedForms() {
        // mu = 0: sum t^2 = T(T+1)(2T+1)/6; |1 + mu| < 1 and T large: (1 + g^2)/(1 - g^2)^3.
        assertThat(ChannelMap.linearLaw(0, 50)).isEqualTo(50.0 * 51 * 101 / 6);
        double g = 0.95, x = g * g;
        assertThat(ChannelMap.linearLaw(g - 1, 5000)).isCloseTo((1 + x) / Math.pow(1 - x, 3), within(1e-9));
    }

    @Test
    void theDrivenLawHasItsClosedFormsAndMatchesADrivenScalarSystem() {
        // mu = 0: E d_t^2 = sum_{k<t} k^2; |g| < 1: the increments tend to (1 + g^2)/(1 - g^2)^3.
        double exact = 0;
        for (int t = 1; t <= 30; t++) {
            for (int k = 1; k < t; k++) {
                exact += (double) k * k;
            }
        }
        assertThat(ChannelMap.drivenLaw(0, 30)).isCloseTo(exact, within(1e-9 * exact));
        double g = 0.9, x = g * g;
        assertThat(ChannelMap.drivenLaw(g - 1, 4001) - ChannelMap.drivenLaw(g - 1, 4000))
                .isCloseTo((1 + x) / Math.pow(1 - x, 3), within(1e-9));
        // h' = tanh(g h + x_t), x_t ~ N(0, sigma^2) small: alpha' = g alpha + x to O(sigma^3), and the
        // channel (mu depends on w_hh alone) is d h / d w_hh; its per-trial energy averages to sigma^2 x law.
        int b = 400, t = 50;
        double sigma = 1e-3;
        Model m = ChannelTest.elman(1, new double[] {1.0}, new double[] {g}, null, null);
        FixedPoints.FixedPoint origin = FixedPoints.find(m, null, FixedPoints.Options.defaults())
                .points()
                .get(0);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(m, Tensor.gaussian(arena, 3, sigma, b, t, 1))) {
            Channel.Result r = Channel.of(s, origin, null, arena);
            double mean = 0, sq = 0;
            for (int i = 0; i < b; i++) {
                double e = 0;
                for (int k = 0; k < t; k++) {
                    e += Math.pow(r.channel().getFlat((long) i * t + k), 2);
                }
                mean += e / b;
                sq += e * e / b;
            }
            double se = Math.sqrt((sq - mean * mean) / (b - 1));
            double law = sigma * sigma * ChannelMap.drivenLaw(r.mu(), t);
            assertThat(Math.abs(mean - law))
                    .as("mean %s law %s se %s", mean, law, se)
                    .isLessThan(4 * se);
            assertThat(se).isLessThan(0.2 * law); // the test can tell the driven law from the kicked one
            assertThat(ChannelMap.linearLaw(r.mu(), t) * sigma * sigma).isNotCloseTo(mean, within(8 * se));
        }
    }

    @Test
    void badDrivesAndHorizonsAreRefusedByName() {
        assertThatThrownBy(() -> new ChannelMap.Drive(0, 0.1, 1, null)).hasMessageContaining("trials");
        assertThatThrownBy(() -> new ChannelMap.Drive(2, Double.NaN, 1, null)).hasMessageContaining("input scale");
        Model m = RandomModels.model(CellKind.RNN_LEAKY, false, 4, 2, 11);
        ChannelMap.Drive d = new ChannelMap.Drive(2, 0.1, 1, null);
        assertThatThrownBy(() -> ChannelMap.measure(m, new int[] {5, 0}, d, FP))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("T must be >= 1");
        assertThatThrownBy(
                        () -> ChannelMap.measure(m, new int[] {5}, new ChannelMap.Drive(2, 0.1, 1, new double[3]), FP))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("x_bar");
    }
}
