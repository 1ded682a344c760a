package io.ntk4j.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.experiments.StudentTeacher.Config;
import io.ntk4j.experiments.StudentTeacher.Record;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The student-teacher presets of every codimension-one crossing: teacher past it, student before it. */
class BifurcationPresetsTest {
    static FixedPoints.FixedPoint origin(Model m) {
        for (FixedPoints.FixedPoint p :
                FixedPoints.find(m, null, FixedPoints.Options.defaults()).points()) {
            double n = 0;
            for (double v : p.state()) {
                n = Math.max(n, Math.abs(v));
            }
            if (n < 1e-12) {
                return p;
            }
        }
        throw new AssertionError("no fixed point at the origin");
    }

    /** The index of the largest |lambda| (the critical index is the one nearest the circle). */
    static int leading(FixedPoints.FixedPoint p) {
        int k = 0;
        for (int i = 1; i < p.eigenvaluesRe().length; i++) {
            if (Math.hypot(p.eigenvaluesRe()[i], p.eigenvaluesIm()[i])
                    > Math.hypot(p.eigenvaluesRe()[k], p.eigenvaluesIm()[k])) {
                k = i;
            }
        }
        return k;
    }

    /** The distance from re + i im to the nearest eigenvalue of p. */
    static double nearest(FixedPoints.FixedPoint p, double re, double im) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < p.eigenvaluesRe().length; i++) {
            best = Math.min(best, Math.hypot(p.eigenvaluesRe()[i] - re, p.eigenvaluesIm()[i] - im));
        }
        return best;
    }

    static long stable(Model m) {
        return FixedPoints.find(m, null, FixedPoints.Options.defaults()).points().stream()
                .filter(FixedPoints.FixedPoint::stable)
                .count();
    }

    @Test
    void flipTeacherHasLambdaCBelowMinusOneAndTheStudentAbove() {
        Config c = Config.preset("flip");
        for (long seed : c.seeds()) {
            FixedPoints.FixedPoint t = origin(StudentTeacher.teacher(c, seed));
            // rnn_elman: J(0) = W_hh, whose leading eigenvalue is the gain.
            int k = leading(t);
            assertThat(t.eigenvaluesRe()[k]).isCloseTo(-1.6, within(1e-10));
            assertThat(t.eigenvaluesIm()[k]).isZero();
            FixedPoints.FixedPoint s = origin(StudentTeacher.student(c, seed));
            assertThat(s.stable()).isTrue();
            assertThat(nearest(s, -0.4, 0)).isLessThan(0.05); // the student's leading W_hh eigenvalue, perturbed
        }
    }

    @Test
    void neimarkSackerTeacherHasAComplexPairOutsideTheCircleAndTheStudentInside() {
        Config c = Config.preset("neimark-sacker");
        double dt = c.dt(), w = c.rotation();
        for (long seed : c.seeds()) {
            FixedPoints.FixedPoint t = origin(StudentTeacher.teacher(c, seed));
            int k = leading(t); // J(0) = (1 - dt) I + dt W_hh with W_hh's pair 1.6 e^(+-i w)
            assertThat(t.eigenvaluesRe()[k]).isCloseTo(1 - dt + dt * 1.6 * Math.cos(w), within(1e-10));
            assertThat(Math.abs(t.eigenvaluesIm()[k])).isCloseTo(dt * 1.6 * Math.sin(w), within(1e-10));
            assertThat(t.stable()).isFalse();
            FixedPoints.FixedPoint s = origin(StudentTeacher.student(c, seed));
            assertThat(s.stable()).isTrue();
            assertThat(nearest(s, 1 - dt + dt * 0.4 * Math.cos(w), dt * 0.4 * Math.sin(w)))
                    .isLessThan(0.05);
        }
    }

    @Test
    void saddleNodeStudentIsMonostableAndTheTeacherBistable() {
        Config c = Config.preset("saddle-node");
        for (long seed : c.seeds()) {
            assertThat(stable(StudentTeacher.student(c, seed)))
                    .as("student " + seed)
                    .isEqualTo(1);
            assertThat(stable(StudentTeacher.teacher(c, seed)))
                    .as("teacher " + seed)
                    .isEqualTo(2);
            // Teacher and student differ in the bias only (and the student's small W_hh perturbation).
            assertThat(java.util.Arrays.stream(StudentTeacher.teacher(c, seed).parameter("bias_hh"))
                            .allMatch(v -> v == 0))
                    .isTrue();
        }
    }

    @Test
    void aComplexPairCrossingIsClassifiedAsNeimarkSacker() {
        Record before = record(0, 0.95, -0.02, 0.3), at = record(2, 0.97, 0.001, 0.3);
        StudentTeacher.Crossing c = Crossings.first(List.of(before, at, record(4, 0.98, 0.01, 0.3)));
        assertThat(c.kind()).isEqualTo("Neimark-Sacker (origin)");
        assertThat(Crossings.first(List.of(record(0, -0.95, -0.05, 0), record(2, -1.01, 0.01, 0)))
                        .kind())
                .isEqualTo("flip (origin)");
    }

    static Record record(int step, double re, double mu, double im) {
        return new Record(step, 1, re, mu, 3, 2, new double[] {1}, 1, 0.5, 0.5, 1, 1, 1, im);
    }

    @Test
    void crossingsAndTheirSettingsMustAgree() {
        Config d = Config.defaults();
        assertThatThrownBy(() -> d.variantForTest("rnn_leaky", 0.2, -1.6, -0.4, "flip", 0, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("rnn_elman, or rnn_leaky with dt = 1");
        assertThatThrownBy(() -> d.variantForTest("rnn_leaky", 0.2, 1.6, 0.4, "neimark_sacker", 0, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("rotation");
        assertThatThrownBy(() -> d.variantForTest("rnn_leaky", 0.2, 1.02, 0.4, "neimark_sacker", 0.5, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("> 1 for g = teacherGain");
        assertThatThrownBy(() -> d.variantForTest("rnn_elman", 1, 1.6, 1.6, "saddle_node", 0, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("studentBias");
        assertThatThrownBy(() -> d.variantForTest("rnn_leaky", 0.2, 1.6, 0.4, "hopf", 0, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("crossing must be one of");
        assertThatThrownBy(() -> Config.preset("transcritical"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("saddle-node");
    }
}
