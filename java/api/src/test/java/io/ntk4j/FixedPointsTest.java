package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.dynamics.FixedPoints;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pitchfork of h' = tanh(g h) from Java: one fixed point below g = 1, three above. */
class FixedPointsTest {
    static Model tanhRnn(double g) {
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", new double[] {0.3});
        p.put("weight_hh", new double[] {g});
        return Model.of(CellKind.RNN_ELMAN, 1, 1, 1.0, false, p);
    }

    @Test
    void pitchforkThroughTheJavaApi() {
        FixedPoints.Result below = FixedPoints.find(tanhRnn(0.8), null, FixedPoints.Options.defaults());
        assertThat(below.points()).hasSize(1);
        assertThat(below.points().get(0).stable()).isTrue();
        assertThat(below.points().get(0).eigenvaluesRe()[0]).isCloseTo(0.8, within(1e-12));

        double g = 1.25;
        FixedPoints.Result above = FixedPoints.find(tanhRnn(g), null, FixedPoints.Options.defaults());
        assertThat(above.points()).hasSize(3);
        FixedPoints.FixedPoint origin = above.points().get(0);
        assertThat(origin.state()[0]).isCloseTo(0.0, within(1e-12));
        assertThat(origin.stable()).isFalse();
        for (int i = 1; i < 3; i++) {
            FixedPoints.FixedPoint p = above.points().get(i);
            double h = p.state()[0];
            assertThat(Math.tanh(g * h)).isCloseTo(h, within(1e-12));
            assertThat(p.eigenvaluesRe()[0]).isCloseTo(g * (1 - h * h), within(1e-10));
            assertThat(p.stable()).isTrue();
        }
    }
}
