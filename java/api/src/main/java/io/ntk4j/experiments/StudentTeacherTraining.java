package io.ntk4j.experiments;

import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.Tensor;
import io.ntk4j.experiments.StudentTeacher.Config;
import io.ntk4j.experiments.StudentTeacher.Record;
import io.ntk4j.experiments.StudentTeacher.Run;
import io.ntk4j.training.Loss;
import io.ntk4j.training.NaturalGradient;
import io.ntk4j.training.Optimizer;
import io.ntk4j.training.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One training run of {@link StudentTeacher}: the student from its start, by SGD or the matched
 * low-rank natural gradient, with the records of the SGD run taken every recordEvery steps.
 */
final class StudentTeacherTraining {
    private StudentTeacherTraining() {}

    static Run train(
            Config c,
            long seed,
            Tensor x,
            Tensor targets,
            boolean natural,
            List<Record> records,
            Consumer<String> log) {
        Model start = StudentTeacher.student(c, seed);
        Trainer tr = new Trainer(
                start,
                null,
                x,
                targets,
                Loss.STATE,
                new Optimizer(Optimizer.Kind.SGD, c.lr(), 0),
                start.bias()
                        ? Set.of("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                        : Set.of("weight_ih", "weight_hh"));
        NaturalGradient ng = natural ? new NaturalGradient(c.ngRank(), c.ngRho(), true) : null;
        if (ng != null) {
            tr.withNaturalGradient(ng);
        }
        List<Double> mu = new ArrayList<>();
        double trainSeconds = 0;
        int done = 0;
        boolean diverged = false;
        int divergedAt = -1;
        String method = natural ? "lowrank_ng" : "sgd";
        for (int step = 0; step <= c.trainSteps(); step++) {
            if (step % c.recordEvery() == 0 || step == c.trainSteps()) {
                if (records != null) {
                    Record r;
                    try {
                        r = StudentTeacherAnalysis.analyze(tr.model(), x, step, Double.NaN, c.crossing());
                    } catch (NumericalException e) {
                        // No fixed point near the origin (or a failed solve): recorded as undefined, not hidden.
                        double nan = Double.NaN;
                        r = new Record(step, nan, nan, nan, nan, nan, new double[0], nan, nan, nan, nan, nan, 0, nan);
                    }
                    records.add(r);
                    mu.add(r.mu());
                } else {
                    mu.add(StudentTeacherAnalysis.criticalMu(tr.model(), c.crossing()));
                }
            }
            if (step == c.trainSteps()) {
                tr.finish();
                break;
            }
            long t0 = System.nanoTime();
            try {
                tr.step();
            } catch (NumericalException e) {
                diverged = true;
                divergedAt = step;
                break;
            }
            trainSeconds += (System.nanoTime() - t0) / 1e9;
            done++;
            double last = tr.losses().get(tr.losses().size() - 1);
            if (!Double.isFinite(last)) {
                diverged = true;
                divergedAt = step;
                break;
            }
        }
        // Records carry the loss before the step they were taken at.
        if (records != null) {
            List<Double> l = tr.losses();
            for (int i = 0; i < records.size(); i++) {
                Record r = records.get(i);
                if (r.step() < l.size()) {
                    records.set(
                            i,
                            new Record(
                                    r.step(),
                                    l.get(r.step()),
                                    r.lambdaC(),
                                    r.mu(),
                                    r.effectiveRank(),
                                    r.kpflowRank(),
                                    r.topEigenvalues(),
                                    r.traceNtk(),
                                    r.channelEigenvalue(),
                                    r.channelShare(),
                                    r.cosineWithTop(),
                                    r.normalFormCosine(),
                                    r.stableFixedPoints(),
                                    r.lambdaCIm()));
                }
            }
        }
        log.accept(String.format(
                "seed %d %s: %d steps, loss %.4g -> %.4g%s",
                seed,
                method,
                done,
                tr.losses().get(0),
                tr.losses().get(tr.losses().size() - 1),
                diverged ? " (diverged at step " + divergedAt + ")" : ""));
        return new Run(
                method,
                List.copyOf(tr.losses()),
                mu,
                diverged,
                divergedAt,
                done == 0 ? 0 : trainSeconds / done,
                ng == null ? 0 : ng.lanczosVectors(),
                tr.model());
    }
}
