package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Exact partial dimensions and modes against the native estimator's exact mode and dense matrices. */
class PartialModesTest {
    private static final Path GRU = TestPaths.golden("gru");

    @Test
    void grammianSingleAxesEqualTheNativeExactPartialDimensions() {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(GRU), Npy.read(GRU.resolve("inputs.npy"), arena))) {
            for (Reduction red : Reduction.values()) {
                PartialEffectiveDims want =
                        EffectiveDims.partial(s.ntk(), s.batch(), s.steps(), s.hiddenSize(), red, true, 0, 0, 1);
                double[] got = new double[3];
                Axis[] single = {Axis.BATCH, Axis.TIME, Axis.HIDDEN};
                for (int i = 0; i < 3; i++) {
                    got[i] = PartialModes.of(
                                    s.ntk(), s.batch(), s.steps(), s.hiddenSize(), single[i], red, true, 0, arena)
                            .effectiveDim();
                }
                assertThat(got[0]).as(red + " batch").isCloseTo(want.batch().value(), within(want.batch()));
                assertThat(got[1]).as(red + " time").isCloseTo(want.time().value(), within(want.time()));
                assertThat(got[2]).as(red + " hidden").isCloseTo(want.hidden().value(), within(want.hidden()));
            }
        }
    }

    private static org.assertj.core.data.Offset<Double> within(Estimate e) {
        return org.assertj.core.data.Offset.offset(1e-10 * e.value());
    }

    @Test
    void jointAxesWithoutTheGramAgainstTheDenseMatrix() {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(GRU), Npy.read(GRU.resolve("inputs.npy"), arena))) {
            int b = (int) s.batch(), t = (int) s.steps(), h = (int) s.hiddenSize(), n = b * t * h;
            double[] a = s.ntk().toDense();
            for (Axis axis : new Axis[] {Axis.BATCH_TIME, Axis.TIME_HIDDEN, Axis.BATCH_HIDDEN, Axis.TIME}) {
                int m = (int) axis.length(b, t, h);
                double[][] want = new double[m][m];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        if (axis.traced(i, t, h) == axis.traced(j, t, h)) {
                            want[(int) axis.kept(i, t, h)][(int) axis.kept(j, t, h)] += a[i * n + j];
                        }
                    }
                }
                double tr = 0, fr = 0;
                for (int i = 0; i < m; i++) {
                    tr += want[i][i];
                    for (int j = 0; j < m; j++) {
                        fr += want[i][j] * want[i][j];
                    }
                }
                PartialModes.Result r =
                        PartialModes.of(s.ntk(), b, t, h, axis, Reduction.TRUE_PARTIAL_TRACE, false, 2, arena);
                assertThat(r.effectiveDim())
                        .as(axis.id())
                        .isCloseTo(tr * tr / fr, org.assertj.core.data.Offset.offset(1e-10 * tr * tr / fr));
                // Each mode is an eigenvector of the dense reduced matrix with its eigenvalue.
                Tensor v = r.modes();
                for (int k = 0; k < 2; k++) {
                    double res = 0;
                    for (int i = 0; i < m; i++) {
                        double mv = 0;
                        for (int j = 0; j < m; j++) {
                            mv += want[i][j] * v.getFlat((long) k * m + j);
                        }
                        double d = mv - r.eigenvalues()[k] * v.getFlat((long) k * m + i);
                        res += d * d;
                    }
                    assertThat(Math.sqrt(res))
                            .as(axis.id() + " mode " + k)
                            .isLessThanOrEqualTo(1e-10 * r.eigenvalues()[0]);
                }
            }
        }
    }

    @Test
    void refusesANonSymmetricOperatorWithoutItsGram() {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(GRU), Npy.read(GRU.resolve("inputs.npy"), arena))) {
            assertThatThrownBy(() -> PartialModes.of(
                            s.P(), s.batch(), s.steps(), s.hiddenSize(), Axis.TIME, Reduction.KPFLOW, false, 1, arena))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("not symmetric");
            assertThatThrownBy(() -> Axis.fromId("batch*depth"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("batch*time");
        }
    }
}
