package io.ntk4j.experiments;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.dynamics.Channel;
import io.ntk4j.training.NaturalGradient;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The student-teacher bifurcation experiment ("State-Space NTK Collapse Near Bifurcations"): a
 * teacher leaky RNN (no biases, so h = 0 is a fixed point at zero input) whose symmetric W_hh has
 * its leading eigenvalue above 1, so the origin has undergone a pitchfork (unstable, with two
 * stable fixed points +-h_bar that store the sign of an input pulse), and a student that shares
 * the teacher's eigenvectors but starts with the leading eigenvalue below 1 (the origin stable,
 * no memory). The student learns the teacher's trajectories under the state loss 1/2 sum (h - target)^2
 * (noisy targets: the teacher's loss is the floor), by SGD and the low-rank natural gradient at one rate.
 *
 * <p>Every {@code recordEvery} steps of the SGD run it records, at the origin's branch: the
 * critical eigenvalue lambda_c of J_bar and mu = |lambda_c| - 1, the spectrum of NTK_S (exactly, as
 * the nonzero eigenvalues of J^T J on the parameter side, J = P J_theta), its effective rank
 * (tr A)^2 / tr A^2 and kpflow's PR(A^2), and the channel decomposition of {@link Channel}.
 *
 * <p>The natural gradient runs matched to SGD ({@link NaturalGradient}): its step
 * -eta rho (U Lambda U^T + rho I)^-1 g is SGD's outside the top-r subspace and SGD's times
 * rho / (lambda_i + rho) along the top eigenvectors u_i (rho = lambda_r by default), so at the same
 * learning rate the comparison isolates the damping of the amplified directions.
 *
 * {@snippet :
 * StudentTeacher.Config c = StudentTeacher.Config.defaults();      // what ntk4j demo runs
 * for (StudentTeacher.SeedResult r : StudentTeacher.run(c, System.out::println)) {
 *   System.out.println(r.seed() + ": " + (r.crossing() == null ? "no crossing" : r.crossing().kind()));
 * }
 * }
 */
public final class StudentTeacher {
    private StudentTeacher() {}

    /** The experiment's settings; {@link #defaults()} is what {@code ntk4j demo} runs. */
    public record Config(
            String cell,
            int hidden,
            int batch,
            int steps,
            double dt,
            double teacherGain,
            double studentGain,
            double bulkScale,
            double pulse,
            int pulseSteps,
            double noise,
            double lr,
            int trainSteps,
            int recordEvery,
            int ngRank,
            double ngRho,
            long[] seeds,
            String crossing,
            double rotation,
            double studentBias) {
        public Config {
            require(cell != null, "cell is required (rnn_leaky or rnn_elman)");
            require(
                    cell.equals("rnn_leaky") || cell.equals("rnn_elman"),
                    "cell \"" + cell + "\" is not supported here: the"
                            + " experiment builds the pitchfork from W_hh's leading eigenvalue, which needs a cell whose Jacobian at the"
                            + " origin is (1 - dt) I + dt W_hh (rnn_leaky) or W_hh (rnn_elman)");
            require(hidden >= 2, "hidden must be >= 2, got " + hidden);
            require(batch >= 1, "batch must be >= 1, got " + batch);
            require(steps >= 2, "steps must be >= 2, got " + steps);
            require(dt > 0 && dt <= 1, "dt must be in (0, 1], got " + dt);
            StudentTeacherModels.checkCrossing(cell, dt, teacherGain, studentGain, crossing, rotation, studentBias);
            require(bulkScale >= 0 && bulkScale < 1, "bulkScale must be in [0, 1), got " + bulkScale);
            require(pulse > 0 && Double.isFinite(pulse), "pulse must be a finite number > 0, got " + pulse);
            require(pulseSteps >= 1 && pulseSteps < steps, "pulseSteps must be in [1, steps), got " + pulseSteps);
            require(noise >= 0 && Double.isFinite(noise), "noise must be a finite number >= 0, got " + noise);
            require(lr > 0 && Double.isFinite(lr), "learning rate must be a finite number > 0, got " + lr);
            require(trainSteps >= 1, "trainSteps must be >= 1, got " + trainSteps);
            require(recordEvery >= 1, "recordEvery must be >= 1, got " + recordEvery);
            require(ngRank >= 1, "ngRank must be >= 1, got " + ngRank);
            require(
                    Double.isNaN(ngRho) || (ngRho > 0 && Double.isFinite(ngRho)),
                    "ngRho must be a finite number > 0 (or NaN for lambda_r), got " + ngRho);
            require(seeds != null && seeds.length >= 1, "at least one seed is needed");
            seeds = seeds.clone();
        }

        public static Config defaults() {
            return new Config(
                    "rnn_leaky",
                    16,
                    16,
                    60,
                    0.2,
                    1.6,
                    0.4,
                    0.5,
                    1.0,
                    5,
                    0.02,
                    5e-5,
                    300,
                    2,
                    4,
                    Double.NaN,
                    new long[] {1, 2, 3},
                    "pitchfork",
                    0,
                    0);
        }

        /** The names {@link #preset} knows. */
        public static final List<String> PRESETS =
                List.of("pitchfork", "long-horizon", "flip", "neimark-sacker", "saddle-node");

        /**
         * A named experiment (issue 17, "every codimension-one crossing"): {@code pitchfork} (the
         * demo's {@link #defaults()}), {@code long-horizon} ({@link #longHorizon()}), {@code flip}
         * (rnn_elman, W_hh's leading eigenvalue -0.4 to -1.6: lambda_c crosses -1), {@code
         * neimark-sacker} (the leading pair 0.4 to 1.6 times e^(+-0.5 i): a complex pair crosses the
         * circle; rate 1e-5), {@code saddle-node} (rnn_elman with gain 1.6 for both, the student's bias
         * 1.0 along the leading eigenvector, which keeps it monostable until training removes it and a
         * pair of fixed points is born away from the origin; rate 3e-6, a record every step).
         */
        public static Config preset(String name) {
            Config d = defaults();
            return switch (name) {
                case "pitchfork" -> d;
                case "long-horizon" -> longHorizon();
                case "flip" -> d.variant("rnn_elman", 1.0, -1.6, -0.4, d.lr(), d.recordEvery(), "flip", 0, 0);
                case "neimark-sacker" ->
                    d.variant(d.cell(), d.dt(), 1.6, 0.4, 1e-5, d.recordEvery(), "neimark_sacker", 0.5, 0);
                case "saddle-node" -> d.variant("rnn_elman", 1.0, 1.6, 1.6, 3e-6, 1, "saddle_node", 0, 1.0);
                default ->
                    throw new InvalidInputException(
                            "unknown preset \"" + name + "\": use one of " + String.join(", ", PRESETS));
            };
        }

        /** A variant of these settings with another crossing (tests). */
        Config variantForTest(
                String cell, double dt, double teacher, double student, String crossing, double rotation, double bias) {
            return variant(cell, dt, teacher, student, lr, recordEvery, crossing, rotation, bias);
        }

        private Config variant(
                String cell,
                double dt,
                double teacherGain,
                double studentGain,
                double lr,
                int recordEvery,
                String crossing,
                double rotation,
                double studentBias) {
            return new Config(
                    cell,
                    hidden,
                    batch,
                    steps,
                    dt,
                    teacherGain,
                    studentGain,
                    bulkScale,
                    pulse,
                    pulseSteps,
                    noise,
                    lr,
                    trainSteps,
                    recordEvery,
                    ngRank,
                    ngRho,
                    seeds,
                    crossing,
                    rotation,
                    studentBias);
        }

        /** The demo where the channel can dominate (issue 17): T = 300 (beyond 1/|mu| near the crossing), a record every step. */
        public static Config longHorizon() {
            Config d = defaults();
            return new Config(
                    d.cell(),
                    d.hidden(),
                    d.batch(),
                    300,
                    d.dt(),
                    d.teacherGain(),
                    d.studentGain(),
                    d.bulkScale(),
                    d.pulse(),
                    d.pulseSteps(),
                    d.noise(),
                    d.lr(),
                    d.trainSteps(),
                    1,
                    d.ngRank(),
                    d.ngRho(),
                    d.seeds(),
                    d.crossing(),
                    d.rotation(),
                    d.studentBias());
        }

        @Override
        public long[] seeds() {
            return seeds.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && toString().equals(c.toString());
        }

        @Override
        public int hashCode() {
            return toString().hashCode();
        }

        @Override
        public String toString() {
            return "Config[cell=" + cell + ", hidden=" + hidden + ", batch=" + batch + ", steps=" + steps + ", dt=" + dt
                    + ", teacherGain="
                    + teacherGain + ", studentGain=" + studentGain + ", bulkScale=" + bulkScale + ", pulse=" + pulse
                    + ", pulseSteps=" + pulseSteps + ", noise=" + noise + ", lr=" + lr + ", trainSteps=" + trainSteps
                    + ", recordEvery=" + recordEvery + ", ngRank=" + ngRank + ", ngRho=" + ngRho + ", seeds="
                    + Arrays.toString(seeds) + ", crossing=" + crossing + ", rotation=" + rotation + ", studentBias="
                    + studentBias + "]";
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    /**
     * What is recorded at one step of the SGD run, at the fixed point the crossing is watched at
     * (the origin's branch; for a saddle-node the stable point nearest the circle), NaN where
     * undefined (e.g. the channel where I - J_bar is singular); lambdaC and lambdaCIm are the real
     * and imaginary parts of the critical eigenvalue.
     */
    public record Record(
            int step,
            double loss,
            double lambdaC,
            double mu,
            double effectiveRank,
            double kpflowRank,
            double[] topEigenvalues,
            double traceNtk,
            double channelEigenvalue,
            double channelShare,
            double cosineWithTop,
            double normalFormCosine,
            int stableFixedPoints,
            double lambdaCIm) {}

    /**
     * One training run's loss curve (loss before each step, then after the last), its cost, and its
     * last good parameters (the final ones, or those before the step that diverged).
     */
    public record Run(
            String method,
            List<Double> losses,
            List<Double> mu,
            boolean diverged,
            int divergedAt,
            double secondsPerStep,
            long extraVectorApplies,
            Model last) {
        /** max_t L_t / min_{s &lt;= t} L_s: 1 for a monotone curve; the largest rise above the best so far. */
        public double maxLossSpike() {
            double best = Double.POSITIVE_INFINITY, spike = 1;
            for (double l : losses) {
                best = Math.min(best, l);
                spike = Math.max(spike, l / best);
            }
            return diverged ? Double.POSITIVE_INFINITY : spike;
        }

        /** The first step whose loss is within 10 % of {@code teacherLoss}, or -1. */
        public int stepsTo(double teacherLoss) {
            for (int i = 0; i < losses.size(); i++) {
                if (losses.get(i) <= 1.1 * teacherLoss) {
                    return i;
                }
            }
            return -1;
        }

        public double finalLoss() {
            return losses.get(losses.size() - 1);
        }
    }

    /** The first learned crossing of the unit circle by the origin's critical eigenvalue. */
    public record Crossing(int step, String kind, Record before, Record at, Record after) {
        public double collapseRatio() {
            return at.effectiveRank() / before.effectiveRank();
        }
    }

    /** One seed's outcome. */
    public record SeedResult(
            long seed, double teacherLoss, List<Record> records, Crossing crossing, Run sgd, Run lowRankNg) {}

    /** Runs every seed of {@code config}; {@code log} receives one line per finished phase. */
    public static List<SeedResult> run(Config config, Consumer<String> log) {
        List<SeedResult> out = new ArrayList<>();
        for (long seed : config.seeds()) {
            out.add(runSeed(config, seed, log));
        }
        return out;
    }

    /** The teacher of {@code seed}: W_hh = Q diag(teacherGain, bulk) Q^T, W_ih ~ N(0, 1). */
    public static Model teacher(Config c, long seed) {
        return StudentTeacherModels.build(c, new SplittableRandom(seed), c.teacherGain(), 0, 0);
    }

    /** The student of {@code seed}: the teacher's W_hh with leading eigenvalue studentGain, perturbed. */
    public static Model student(Config c, long seed) {
        return StudentTeacherModels.build(c, new SplittableRandom(seed), c.studentGain(), 0.05, c.studentBias());
    }

    /** Inputs [B, T, 1]: a pulse of random sign and amplitude in [0.5, 1.5] for pulseSteps, then 0. */
    public static Tensor inputs(Config c, long seed, Arena arena) {
        return StudentTeacherModels.inputs(c, seed, arena);
    }

    static SeedResult runSeed(Config c, long seed, Consumer<String> log) {
        try (Arena arena = Arena.ofConfined()) {
            Model teacher = teacher(c, seed);
            Tensor x = inputs(c, seed, arena);
            Tensor clean;
            try (Session s = Session.open(teacher, x)) {
                clean = s.hidden(arena);
            }
            Tensor targets = Tensor.allocate(arena, clean.shape());
            SplittableRandom rng = new SplittableRandom(seed * 104729 + 3);
            double teacherLoss = 0;
            for (long i = 0; i < clean.size(); i++) {
                double e = c.noise() * rng.nextGaussian();
                targets.setFlat(i, clean.getFlat(i) + e);
                teacherLoss += 0.5 * e * e;
            }
            List<Record> records = new ArrayList<>();
            Run sgd = StudentTeacherTraining.train(c, seed, x, targets, false, records, log);
            Run ng = StudentTeacherTraining.train(c, seed, x, targets, true, null, log);
            return new SeedResult(seed, teacherLoss, records, crossing(records), sgd, ng);
        }
    }

    /** The analysis of one student model on the inputs (loss filled in by the caller). */
    public static Record analyze(Model m, Tensor x, int step, double loss) {
        return StudentTeacherAnalysis.analyze(m, x, step, loss, "pitchfork");
    }

    /** The first learned bifurcation among the records (see {@link Crossings#first}); null if none. */
    static Crossing crossing(List<Record> records) {
        return Crossings.first(records);
    }
}
