package io.ntk4j.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.experiments.StudentTeacher.Config;
import io.ntk4j.experiments.StudentTeacher.Record;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.Traces;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StudentTeacherTest {
    static Config small(double lr, int trainSteps, long... seeds) {
        Config d = Config.defaults();
        return new Config(
                d.cell(),
                6,
                4,
                12,
                d.dt(),
                d.teacherGain(),
                d.studentGain(),
                d.bulkScale(),
                d.pulse(),
                3,
                d.noise(),
                lr,
                trainSteps,
                2,
                2,
                d.ngRho(),
                seeds,
                "pitchfork",
                0,
                0);
    }

    @Test
    void teacherIsPastThePitchforkAndStudentBeforeIt() {
        Config c = Config.defaults();
        Model teacher = StudentTeacher.teacher(c, 1);
        FixedPoints.Result r = FixedPoints.find(teacher, null, FixedPoints.Options.defaults());
        FixedPoints.FixedPoint origin = null;
        List<FixedPoints.FixedPoint> stable = new ArrayList<>();
        for (FixedPoints.FixedPoint p : r.points()) {
            double n = 0;
            for (double v : p.state()) {
                n = Math.max(n, Math.abs(v));
            }
            if (n < 1e-12) {
                origin = p;
            } else if (p.stable()) {
                stable.add(p);
            }
        }
        // J(0) = (1 - dt) I + dt W_hh, W_hh's leading eigenvalue teacherGain: lambda_c = 1 - dt + dt g.
        assertThat(origin).isNotNull();
        assertThat(origin.eigenvaluesRe()[origin.criticalIndex()])
                .isCloseTo(1 - c.dt() + c.dt() * c.teacherGain(), within(1e-10));
        assertThat(origin.stable()).isFalse();
        // The pitchfork's two stable states, mirror images (tanh is odd and there are no biases).
        assertThat(stable).hasSize(2);
        for (int i = 0; i < c.hidden(); i++) {
            assertThat(stable.get(0).state()[i]).isCloseTo(-stable.get(1).state()[i], within(1e-9));
        }
        Model student = StudentTeacher.student(c, 1);
        FixedPoints.FixedPoint s = FixedPoints.find(student, null, new FixedPoints.Options(2, 0, 50, 1e-12, 1e-3, 1))
                .points()
                .get(0);
        assertThat(s.mu()).isNegative();
    }

    @Test
    void elmanTeacherHasLambdaCEqualToItsGain() {
        Config d = Config.defaults();
        Config c = new Config(
                "rnn_elman",
                8,
                4,
                12,
                d.dt(),
                1.3,
                0.5,
                d.bulkScale(),
                d.pulse(),
                3,
                d.noise(),
                1e-3,
                5,
                2,
                2,
                d.ngRho(),
                new long[] {1},
                "pitchfork",
                0,
                0);
        FixedPoints.FixedPoint origin = FixedPoints.find(
                        StudentTeacher.teacher(c, 4), null, new FixedPoints.Options(2, 0, 50, 1e-12, 1e-6, 1))
                .points()
                .get(0);
        assertThat(origin.eigenvaluesRe()[origin.criticalIndex()]).isCloseTo(1.3, within(1e-10)); // J(0) = W_hh
    }

    @Test
    void recordedSpectrumIsTheExactSpectrumOfNtkS() {
        // The effective rank from J^T J on the parameter side equals the dense state-space value.
        Config c = small(1e-3, 1, 1);
        Model m = StudentTeacher.student(c, 1);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = StudentTeacher.inputs(c, 1, arena);
            Record r = StudentTeacher.analyze(m, x, 0, Double.NaN);
            try (Session s = Session.open(m, x)) {
                var exact = Traces.exact(s.ntk());
                assertThat(r.traceNtk())
                        .isCloseTo(
                                exact.trace().value(),
                                within(1e-9 * exact.trace().value()));
                assertThat(r.effectiveRank())
                        .isCloseTo(exact.effectiveRank().value(), within(1e-9 * r.effectiveRank()));
                double[] all = Eigs.exact(s.ntk());
                for (int i = 0; i < r.topEigenvalues().length; i++) {
                    assertThat(r.topEigenvalues()[i]).isCloseTo(all[i], within(1e-9 * all[0]));
                }
            }
            assertThat(r.channelShare()).isBetween(0.0, 1.0 + 1e-12);
        }
    }

    private static Record rec(int step, double mu, int stable, double er) {
        return new Record(step, 1, 1 + mu, mu, er, 1, new double[] {1}, 1, 0.5, 0.5, 1, 1, stable, 0);
    }

    @Test
    void crossingsAreFoundAndClassified() {
        List<Record> pitchfork = List.of(
                rec(0, -0.2, 1, 10), rec(2, -0.1, 1, 8), rec(4, -0.01, 1, 3), rec(6, 0.05, 2, 2), rec(8, 0.1, 2, 5));
        StudentTeacher.Crossing c = StudentTeacher.crossing(pitchfork);
        assertThat(c.kind()).isEqualTo("pitchfork (origin)");
        assertThat(c.step()).isEqualTo(4); // the record closer to mu = 0
        assertThat(c.before().step()).isEqualTo(2);
        assertThat(c.after().step()).isEqualTo(6);
        assertThat(c.collapseRatio()).isCloseTo(3.0 / 8.0, within(1e-15));
        List<Record> saddle = List.of(rec(0, -0.2, 1, 10), rec(2, -0.2, 1, 8), rec(4, -0.2, 2, 8));
        assertThat(StudentTeacher.crossing(saddle).kind()).startsWith("saddle-node");
        assertThat(StudentTeacher.crossing(List.of(rec(0, -0.2, 1, 10), rec(2, -0.1, 1, 9))))
                .isNull();
    }

    @Test
    void smallRunIsDeterministicAndRecordsEveryFewSteps() {
        Config c = small(1e-3, 6, 5);
        var a = StudentTeacher.run(c, s -> {});
        var b = StudentTeacher.run(c, s -> {});
        assertThat(a.get(0).sgd().losses()).isEqualTo(b.get(0).sgd().losses());
        assertThat(a.get(0).lowRankNg().losses()).isEqualTo(b.get(0).lowRankNg().losses());
        assertThat(a.get(0).records()).extracting(Record::step).containsExactly(0, 2, 4, 6);
        assertThat(a.get(0).sgd().losses()).hasSize(7);
        assertThat(a.get(0).records().get(0).loss())
                .isEqualTo(a.get(0).sgd().losses().get(0));
    }

    @Test
    void badConfigurationsAreRefused() {
        Config d = Config.defaults();
        assertThatThrownBy(() -> small(-1e-3, 5, 1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("learning rate");
        assertThatThrownBy(() -> small(Double.NaN, 5, 1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> new Config(
                        "rnn_leaky",
                        -3,
                        4,
                        12,
                        d.dt(),
                        d.teacherGain(),
                        d.studentGain(),
                        d.bulkScale(),
                        d.pulse(),
                        3,
                        d.noise(),
                        1e-3,
                        5,
                        2,
                        2,
                        d.ngRho(),
                        new long[] {1},
                        "pitchfork",
                        0,
                        0))
                .hasMessageContaining("hidden");
        assertThatThrownBy(() -> new Config(
                        "rnn_leaky",
                        6,
                        4,
                        12,
                        d.dt(),
                        0.9,
                        d.studentGain(),
                        d.bulkScale(),
                        d.pulse(),
                        3,
                        d.noise(),
                        1e-3,
                        5,
                        2,
                        2,
                        d.ngRho(),
                        new long[] {1},
                        "pitchfork",
                        0,
                        0))
                .hasMessageContaining("teacherGain");
        assertThatThrownBy(() -> new Config(
                        "rnn_leaky",
                        6,
                        4,
                        12,
                        d.dt(),
                        d.teacherGain(),
                        1.2,
                        d.bulkScale(),
                        d.pulse(),
                        3,
                        d.noise(),
                        1e-3,
                        5,
                        2,
                        2,
                        d.ngRho(),
                        new long[] {1},
                        "pitchfork",
                        0,
                        0))
                .hasMessageContaining("studentGain");
        assertThatThrownBy(() -> small(1e-3, 5)).hasMessageContaining("seed");
        assertThatThrownBy(() -> new Config(
                        "gru",
                        6,
                        4,
                        12,
                        d.dt(),
                        d.teacherGain(),
                        d.studentGain(),
                        d.bulkScale(),
                        d.pulse(),
                        3,
                        d.noise(),
                        1e-3,
                        5,
                        2,
                        2,
                        d.ngRho(),
                        new long[] {1},
                        "pitchfork",
                        0,
                        0))
                .hasMessageContaining("cell \"gru\"");
        assertThatThrownBy(() -> new Config(
                        "lstm",
                        6,
                        4,
                        12,
                        d.dt(),
                        d.teacherGain(),
                        d.studentGain(),
                        d.bulkScale(),
                        d.pulse(),
                        3,
                        d.noise(),
                        1e-3,
                        5,
                        2,
                        2,
                        d.ngRho(),
                        new long[] {1},
                        "pitchfork",
                        0,
                        0))
                .isInstanceOf(InvalidInputException.class);
    }

    @Test
    void divergingSgdIsReportedNotHidden() {
        // A learning rate that overflows the parameters: the run stops, says so, and keeps its losses.
        var r = StudentTeacher.run(small(1e300, 30, 1), s -> {}).get(0);
        assertThat(r.sgd().diverged()).isTrue();
        assertThat(r.sgd().maxLossSpike()).isInfinite();
        assertThat(r.sgd().losses()).allMatch(Double::isFinite);
    }
}
