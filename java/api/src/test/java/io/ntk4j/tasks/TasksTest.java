package io.ntk4j.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.InvalidInputException;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TasksTest {
    @Test
    void memoryProFollowsItsPeriods() {
        try (Arena arena = Arena.ofConfined()) {
            Tasks.Data d = Tasks.generate("memory_pro", 8, 90, false, 1, arena);
            assertThat(d.inputs().shape()).containsExactly(8, 90, 3);
            assertThat(d.targets().shape()).containsExactly(8, 90, 3);
            for (int b = 0; b < 8; b++) {
                double angle = 2 * Math.PI * b / 8;
                for (int t = 0; t < 90; t++) {
                    assertThat(d.inputs().get(b, t, 0)).isEqualTo(t < 60 ? 1.0 : 0.0);
                    assertThat(d.targets().get(b, t, 0)).isEqualTo(d.inputs().get(b, t, 0));
                    assertThat(d.inputs().get(b, t, 1)).isEqualTo(t < 30 ? Math.cos(angle) : 0.0);
                    assertThat(d.targets().get(b, t, 2)).isEqualTo(t >= 60 ? Math.sin(angle) : 0.0);
                }
            }
            Tasks.Data anti = Tasks.generate("memory_pro_anti", 8, 90, false, 1, arena);
            assertThat(anti.targets().get(3, 70, 1)).isEqualTo(-d.targets().get(3, 70, 1));
            // With noise: deterministic per seed, and the input noise has the reference's scale 0.1 sqrt 2.
            Tasks.Data n1 = Tasks.generate("memory_pro", 400, 90, true, 7, arena),
                    n2 = Tasks.generate("memory_pro", 400, 90, true, 7, arena);
            assertThat(n1.inputs().toArray()).isEqualTo(n2.inputs().toArray());
            double s2 = 0;
            long n = 0;
            for (int b = 0; b < 400; b++) {
                for (int t = 60; t < 90; t++) { // response period: input is pure noise
                    s2 += Math.pow(n1.inputs().get(b, t, 1), 2);
                    n++;
                }
            }
            assertThat(Math.sqrt(s2 / n)).isCloseTo(0.1 * Math.sqrt(2), within(0.005));
        }
    }

    @Test
    void flipFlopTargetsHoldTheLastPulse() {
        try (Arena arena = Arena.ofConfined()) {
            Tasks.Data d = Tasks.generate("flip_flop", 500, 90, false, 3, arena);
            long pulses = 0;
            for (int b = 0; b < 500; b++) {
                for (int c = 0; c < 3; c++) {
                    double last = 0;
                    for (int t = 0; t < 90; t++) {
                        double p = d.inputs().get(b, t, c);
                        assertThat(p).isIn(-1.0, 0.0, 1.0);
                        if (p != 0) {
                            last = p;
                            pulses++;
                        }
                        assertThat(d.targets().get(b, t, c)).isEqualTo(last);
                    }
                }
            }
            // Rate 1/20 per step and channel: 500 * 90 * 3 / 20 = 6750 expected (Poisson sd ~ 82).
            assertThat((double) pulses).isCloseTo(6750, within(400.0));
        }
    }

    @Test
    void contextIntegrationTargetsTheCuedSign() {
        try (Arena arena = Arena.ofConfined()) {
            Tasks.Data d = Tasks.generate("context_integration", 50, 90, false, 5, arena);
            for (int b = 0; b < 50; b++) {
                int ctx = d.inputs().get(b, 0, 2) == 1 ? 0 : 1;
                assertThat(d.inputs().get(b, 0, 2) + d.inputs().get(b, 0, 3)).isEqualTo(1.0);
                double cued = d.inputs().get(b, 10, ctx);
                assertThat(d.targets().get(b, 80, 0)).isEqualTo(Math.signum(cued));
                assertThat(d.targets().get(b, 10, 0)).isZero();
                assertThat(d.inputs().get(b, 70, 0)).isZero();
            }
        }
    }

    @Test
    void poissonDrawsHaveTheirMean() {
        SplittableRandom rng = new SplittableRandom(1);
        for (double lambda : new double[] {0.5, 10, 1200}) {
            double s = 0;
            for (int i = 0; i < 4000; i++) {
                s += Tasks.poisson(lambda, rng);
            }
            assertThat(s / 4000).isCloseTo(lambda, within(5 * Math.sqrt(lambda / 4000)));
        }
    }

    @Test
    void badRequestsAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Tasks.generate("delay_match", 4, 90, true, 1, arena))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("memory_pro");
            assertThatThrownBy(() -> Tasks.generate("memory_pro", 4, 91, true, 1, arena))
                    .hasMessageContaining("multiple of 3");
            assertThatThrownBy(() -> Tasks.generate("flip_flop", 0, 90, true, 1, arena))
                    .hasMessageContaining("trials");
        }
    }
}
