package io.ntk4j.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The training gradient against central finite differences of the loss, every cell and loss. */
class GradientCheckTest {
    static final int H = 4, N = 2, O = 3, B = 2, T = 5;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(CellKind.RNN_LEAKY, false, Loss.MSE),
                Arguments.of(CellKind.RNN_LEAKY, false, Loss.STATE),
                Arguments.of(CellKind.RNN_ELMAN, true, Loss.MSE),
                Arguments.of(CellKind.RNN_ELMAN, true, Loss.STATE),
                Arguments.of(CellKind.GRU, true, Loss.MSE),
                Arguments.of(CellKind.GRU, false, Loss.STATE),
                Arguments.of(CellKind.RNN_RELU, true, Loss.MSE),
                Arguments.of(CellKind.RNN_LINEAR, false, Loss.STATE),
                Arguments.of(CellKind.LSTM, true, Loss.MSE),
                Arguments.of(CellKind.LSTM, false, Loss.STATE));
    }

    static Model model(CellKind cell, boolean bias, Map<String, double[]> p) {
        return Model.of(cell, H, N, 0.4, bias, p);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(CellKind cell, boolean bias, Loss loss) {
        SplittableRandom rng = new SplittableRandom(11);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(bias)) {
            double[] v = new double[Math.toIntExact(Tensor.elementCount(Model.parameterShape(cell, H, N, name)))];
            for (int i = 0; i < v.length; i++) {
                v[i] = 0.7 * rng.nextGaussian();
            }
            p.put(name, v);
        }
        double[] rw = new double[O * H], rb = new double[O];
        for (int i = 0; i < rw.length; i++) {
            rw[i] = rng.nextGaussian();
        }
        for (int i = 0; i < rb.length; i++) {
            rb[i] = rng.nextGaussian();
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 12, 1.0, B, T, N);
            Tensor y = Tensor.gaussian(arena, 13, 1.0, B, T, loss == Loss.MSE ? O : H);
            Readout readout = new Readout(O, H, rw, rb);
            Opt o = new Opt();
            Trainer tr = new Trainer(model(cell, bias, p), readout, x, y, loss, o.sgd(), Set.of("weight_hh"));
            Map<String, double[]> g = tr.evaluate().gradients();
            double eps = 1e-6;
            for (String name : Model.parameterNames(bias)) {
                double[] analytic = g.get(name);
                double[] numeric = new double[analytic.length];
                for (int i = 0; i < numeric.length; i++) {
                    Map<String, double[]> plus = copy(p), minus = copy(p);
                    plus.get(name)[i] += eps;
                    minus.get(name)[i] -= eps;
                    double lp = new Trainer(model(cell, bias, plus), readout, x, y, loss, o.sgd(), Set.of("weight_hh"))
                            .evaluate()
                            .loss();
                    double lm = new Trainer(model(cell, bias, minus), readout, x, y, loss, o.sgd(), Set.of("weight_hh"))
                            .evaluate()
                            .loss();
                    numeric[i] = (lp - lm) / (2 * eps);
                }
                assertThat(TrainingGoldenTest.relative(analytic, numeric))
                        .as(cell + " " + loss + " " + name)
                        .isLessThan(1e-7);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void badConfigurationsAreRefused(CellKind cell, boolean bias, Loss loss) {
        assertThatThrownBy(() -> new Optimizer(Optimizer.Kind.SGD, -0.1, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("learning rate");
        assertThatThrownBy(() -> Optimizer.Kind.fromId("rmsprop")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Loss.fromId("l1")).isInstanceOf(InvalidInputException.class);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(bias)) {
            p.put(name, new double[Math.toIntExact(Tensor.elementCount(Model.parameterShape(cell, H, N, name)))]);
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, B, T, N);
            Tensor wrong = Tensor.allocate(arena, B, T + 1, H);
            assertThatThrownBy(() -> new Trainer(
                            model(cell, bias, p),
                            null,
                            x,
                            wrong,
                            Loss.STATE,
                            new Optimizer(Optimizer.Kind.SGD, 0.1, 0),
                            Set.of("weight_hh")))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("targets");
            assertThatThrownBy(() -> new Trainer(
                            model(cell, bias, p),
                            null,
                            x,
                            Tensor.allocate(arena, B, T, O),
                            Loss.MSE,
                            new Optimizer(Optimizer.Kind.SGD, 0.1, 0),
                            Set.of("weight_hh")))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("readout");
            assertThatThrownBy(() -> new Trainer(
                            model(cell, bias, p),
                            null,
                            x,
                            Tensor.allocate(arena, B, T, H),
                            Loss.STATE,
                            new Optimizer(Optimizer.Kind.SGD, 0.1, 0),
                            Set.of("weight_xx")))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("weight_xx");
        }
    }

    private static Map<String, double[]> copy(Map<String, double[]> p) {
        Map<String, double[]> c = new LinkedHashMap<>();
        p.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    /** A fresh optimizer per trainer (the optimizer holds state). */
    private static final class Opt {
        Optimizer sgd() {
            return new Optimizer(Optimizer.Kind.SGD, 0.1, 0);
        }
    }
}
