package io.ntk4j.bench;

import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.training.Loss;
import io.ntk4j.training.NaturalGradient;
import io.ntk4j.training.Optimizer;
import io.ntk4j.training.Trainer;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The low-rank natural gradient's cost per step against SGD's (issue 17: the sNTK paper's "very
 * little overhead over SGD" as a measurement), and its stability against SGD's at the same rates.
 * For each H, a student rnn_leaky learns a teacher's
 * states (the demo's state loss, weight_ih and weight_hh trained) by SGD and by SGD with the
 * rank-r natural gradient (DESIGN.md: (U Lambda U^T + rho I)^-1 with J_h^T J_h's top-r eigenpairs,
 * warm-started Lanczos every step); their steps alternate so that both see the same machine
 * conditions, and the ratio of the medians is reported with the Lanczos vectors per step.
 */
public final class NaturalGradientCost {
    private NaturalGradientCost() {}

    /** One size's result: median seconds per step of each method, and what the eigen-solve cost. */
    public record Row(
            int hidden,
            int batch,
            int steps,
            int rank,
            double tol,
            double sgdSecondsPerStep,
            double ngSecondsPerStep,
            double ratio,
            double lanczosVectorsPerStep) {}

    /**
     * One run's stability figures: the loss after {@code steps} steps relative to the first, the
     * largest rise above the best so far (max_t L_t / min_{s<=t} L_s), whether it diverged (a
     * non-finite loss, a failed step, or a loss 10^6 times the first), and the spectral radius minus one of the fixed point nearest
     * the origin after the run (NaN if none is found or it diverged): > 0 means it crossed.
     */
    public record Stability(
            int hidden,
            double lr,
            String method,
            double lossRatio,
            double maxSpike,
            boolean diverged,
            double originMu) {}

    /**
     * The stability comparison at H (issue 17, item 4): the same student as {@link #measure} trained
     * {@code steps} steps by SGD and by the natural gradient at each rate of {@code lrs}.
     */
    public static List<Stability> stability(int h, int batch, int steps, int rank, int trainSteps, double[] lrs) {
        List<Stability> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = BenchModels.gaussian(arena, 3, batch, steps, 3);
            Tensor targets = targets(h, x, arena);
            for (double lr : lrs) {
                for (boolean natural : new boolean[] {false, true}) {
                    Trainer t = trainer(h, x, targets, lr);
                    if (natural) {
                        t.withNaturalGradient(new NaturalGradient(rank, Double.NaN, true));
                    }
                    boolean diverged = false;
                    for (int i = 0; i < trainSteps && !diverged; i++) {
                        try {
                            t.step();
                            diverged =
                                    !Double.isFinite(t.losses().get(t.losses().size() - 1));
                        } catch (io.ntk4j.NumericalException e) {
                            diverged = true;
                        }
                    }
                    List<Double> l = t.losses();
                    double best = Double.POSITIVE_INFINITY, spike = 1;
                    for (double v : l) {
                        best = Math.min(best, v);
                        spike = Math.max(spike, v / best);
                    }
                    // A blow-up by more than 10^6 (the leaky cell's states are unbounded) counts as
                    // divergence as much as a non-finite loss does.
                    double ratio = diverged ? Double.POSITIVE_INFINITY : l.get(l.size() - 1) / l.get(0);
                    diverged = diverged || ratio > 1e6;
                    out.add(new Stability(
                            h,
                            lr,
                            natural ? "lowrank_ng" : "sgd",
                            ratio,
                            Double.isFinite(ratio) ? spike : Double.POSITIVE_INFINITY,
                            diverged,
                            diverged ? Double.NaN : originMu(t.model())));
                }
            }
        }
        return out;
    }

    /** The teacher's states on {@code x}: a leaky RNN of H = h past the pitchfork (gain 1.6). */
    private static Tensor targets(int h, Tensor x, Arena arena) {
        try (Session s = Session.open(BenchModels.leaky(h, 3, 0.2, 2).withGain(1.6), x)) {
            return s.hidden(arena);
        }
    }

    /** SGD at {@code lr} on the teacher's states from the student before the pitchfork (gain 0.4). */
    private static Trainer trainer(int h, Tensor x, Tensor targets, double lr) {
        return new Trainer(
                BenchModels.leaky(h, 3, 0.2, 1).withGain(0.4),
                null,
                x,
                targets,
                Loss.STATE,
                new Optimizer(Optimizer.Kind.SGD, lr, 0),
                Set.of("weight_ih", "weight_hh"));
    }

    private static double originMu(Model m) {
        try {
            io.ntk4j.dynamics.FixedPoints.FixedPoint best = io.ntk4j.dynamics.FixedPoints.find(
                            m, null, new io.ntk4j.dynamics.FixedPoints.Options(4, 0, 50, 1e-12, 1e-3, 1))
                    .nearestOrigin();
            return best == null ? Double.NaN : best.spectralRadius() - 1;
        } catch (io.ntk4j.NumericalException e) {
            return Double.NaN;
        }
    }

    /** Timed steps per method after {@code warmup} untimed ones (the first solves start cold). */
    public static Row measure(int h, int batch, int steps, int rank, int warmup, int timed) {
        return measure(h, batch, steps, rank, warmup, timed, NaturalGradient.DEFAULT_TOL);
    }

    /**
     * As {@link #measure(int, int, int, int, int, int)} with the eigen-solve's tolerance {@code tol}
     * (the cost lever: a looser solve needs fewer Lanczos vectors per step).
     */
    public static Row measure(int h, int batch, int steps, int rank, int warmup, int timed, double tol) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = BenchModels.gaussian(arena, 3, batch, steps, 3);
            Tensor targets = targets(h, x, arena);
            // The same student, data and SGD for both: the natural gradient only preconditions.
            Trainer sgd = trainer(h, x, targets, 1e-5);
            NaturalGradient ng = new NaturalGradient(rank, Double.NaN, true, tol);
            Trainer nat = trainer(h, x, targets, 1e-5).withNaturalGradient(ng);
            for (int i = 0; i < warmup; i++) {
                sgd.step();
                nat.step();
            }
            long vectorsBefore = ng.lanczosVectors();
            List<Double> ts = new ArrayList<>(), tn = new ArrayList<>();
            for (int i = 0; i < timed; i++) {
                long t0 = System.nanoTime();
                sgd.step();
                long t1 = System.nanoTime();
                nat.step();
                long t2 = System.nanoTime();
                ts.add((t1 - t0) / 1e9);
                tn.add((t2 - t1) / 1e9);
            }
            double s = median(ts), n = median(tn);
            return new Row(
                    h, batch, steps, rank, tol, s, n, n / s, (ng.lanczosVectors() - vectorsBefore) / (double) timed);
        }
    }

    /** {@code bench --natural-gradient}: H = 64, 128, 256 (B = 16, T = 60, r = 4), a table or one JSON object. */
    public static int report(java.io.PrintWriter out, boolean json) {
        List<Row> rows = new ArrayList<>();
        for (double tol : new double[] {NaturalGradient.DEFAULT_TOL, 1e-3, 1e-2}) {
            for (int h : new int[] {64, 128, 256}) {
                rows.add(measure(h, 16, 60, 4, 3, 15, tol));
            }
        }
        List<Stability> stable = new ArrayList<>();
        for (int h : new int[] {64, 128, 256}) {
            stable.addAll(stability(h, 16, 60, 4, 100, new double[] {1e-5, 1e-4, 1e-3}));
        }
        for (Row r : rows) { // checked before anything is printed: no figure leaves with exit 0 if one is bad
            if (!(Double.isFinite(r.ratio()) && r.ratio() > 0)) {
                throw new io.ntk4j.NumericalException(
                        "natural-gradient bench: a non-finite timing at H = " + r.hidden(), 0);
            }
        }
        if (json) {
            try {
                out.println(new com.fasterxml.jackson.databind.ObjectMapper()
                        .writeValueAsString(
                                java.util.Map.of("natural_gradient_cost", rows, "natural_gradient_stability", stable)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            out.println("low-rank natural gradient (r = 4) against SGD, median seconds per step, B = 16, T = 60"
                    + " (tol: the per-step eigen-solve's tolerance, 1e-4 by default):");
            out.printf(
                    "  %-5s %-8s %-12s %-12s %-8s %s%n", "H", "tol", "SGD", "natural", "ratio", "Lanczos vectors/step");
            for (Row r : rows) {
                out.printf(
                        java.util.Locale.ROOT,
                        "  %-5d %-8.0e %-12.4g %-12.4g %-8.2f %.1f%n",
                        r.hidden(),
                        r.tol(),
                        r.sgdSecondsPerStep(),
                        r.ngSecondsPerStep(),
                        r.ratio(),
                        r.lanczosVectorsPerStep());
            }
            out.println("stability, 100 steps from the same student (loss after / before, largest spike,"
                    + " spectral radius - 1 of the fixed point nearest 0 after):");
            out.printf("  %-5s %-8s %-11s %-14s %-12s %s%n", "H", "rate", "method", "loss ratio", "spike", "rho - 1");
            for (Stability r : stable) {
                out.printf(
                        java.util.Locale.ROOT,
                        "  %-5d %-8.0e %-11s %-14s %-12s %s%n",
                        r.hidden(),
                        r.lr(),
                        r.method(),
                        r.diverged() ? "diverged" : String.format(java.util.Locale.ROOT, "%.4g", r.lossRatio()),
                        r.diverged() ? "-" : String.format(java.util.Locale.ROOT, "%.3g", r.maxSpike()),
                        Double.isNaN(r.originMu()) ? "-" : String.format(java.util.Locale.ROOT, "%+.3g", r.originMu()));
            }
        }
        return 0;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int m = s.size();
        return m % 2 == 1 ? s.get(m / 2) : (s.get(m / 2 - 1) + s.get(m / 2)) / 2;
    }
}
