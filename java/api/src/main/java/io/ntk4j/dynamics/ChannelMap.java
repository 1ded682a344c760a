package io.ntk4j.dynamics;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.TraceEstimates;
import java.lang.foreign.Arena;

/**
 * The sNTK channel on a grid of distance to bifurcation and horizon (issue 17): for a model (one
 * gain of W_hh, or one training checkpoint) and each horizon T, the channel of the fixed point
 * nearest the origin ({@link Channel}) on a trajectory of T steps, with NTK_S's effective rank
 * beside it. Dominance should need a horizon beyond the critical memory ~1/|mu|: the map shows
 * where the channel carries most of tr NTK_S and where it does not.
 *
 * <p>The inputs of every horizon are prefixes of seeded per-trial draws x ~ N(0, scale^2) ({@link #inputs}),
 * so that horizons differ only in length. Traces are {@link Channel#traces}'s: exact on the
 * smaller side of P J_theta, else Hutch++ (then the effective rank carries a standard error).
 */
public final class ChannelMap {
    private ChannelMap() {}

    /** One cell of the map. {@code effectiveRankStdError} is 0 when the traces were exact. */
    public record Point(
            double mu,
            int steps,
            double shareOfTrace,
            double channelEigenvalue,
            double cosineWithTopEigenvector,
            double effectiveRank,
            double effectiveRankStdError,
            double normalFormCosine,
            double linearLaw,
            double drivenLaw,
            double traceNtk) {}

    /** How the trajectories are driven: B trials, inputs N(0, scale^2) from {@code seed}, constant input xBar for h_bar. */
    public record Drive(int trials, double inputScale, long seed, double[] xBar) {
        public Drive {
            if (trials < 1) {
                throw new InvalidInputException("trials must be >= 1, got " + trials);
            }
            if (!(inputScale >= 0) || !Double.isFinite(inputScale)) {
                throw new InvalidInputException("input scale must be a finite number >= 0, got " + inputScale);
            }
        }
    }

    /**
     * The map's column for one model: a point per horizon in {@code steps} (each >= 1). The fixed
     * point is found once (it does not depend on T); every horizon gets its own session.
     */
    public static Point[] measure(Model model, int[] steps, Drive drive, FixedPoints.Options o) {
        if (steps.length == 0) {
            throw new InvalidInputException("no horizons T given");
        }
        for (int t : steps) {
            if (t < 1) {
                throw new InvalidInputException("every horizon T must be >= 1, got " + t);
            }
        }
        if (drive.xBar() != null && drive.xBar().length != model.inputSize()) {
            throw new InvalidInputException(
                    "x_bar has " + drive.xBar().length + " values but the model has N = " + model.inputSize());
        }
        FixedPoints.Result r = FixedPoints.find(model, drive.xBar(), o);
        if (r.points().isEmpty()) {
            throw new NumericalException("no fixed point found for " + model + ": no channel to measure", 0);
        }
        FixedPoints.FixedPoint origin = r.points().get(0); // sorted by norm: nearest the origin
        Point[] out = new Point[steps.length];
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < steps.length; i++) {
                out[i] = measure(model, origin, inputs(drive, steps[i], model.inputSize(), arena), drive.xBar());
            }
        }
        return out;
    }

    /**
     * The inputs of horizon T: trial b's first T steps of its own seeded stream (seed + b), so that
     * a horizon's inputs are the same whichever other horizons are mapped, and a longer horizon
     * extends a shorter one.
     */
    public static Tensor inputs(Drive drive, int steps, long inputSize, Arena arena) {
        Tensor x = Tensor.allocate(arena, drive.trials(), steps, inputSize);
        long row = steps * inputSize;
        for (int b = 0; b < drive.trials(); b++) {
            java.util.SplittableRandom rng = new java.util.SplittableRandom(drive.seed() + b);
            for (long i = 0; i < row; i++) {
                x.setFlat(b * row + i, drive.inputScale() * rng.nextGaussian());
            }
        }
        return x;
    }

    /** One point: the channel of {@code p} on the trajectory of {@code inputs} [B, T, N]. */
    public static Point measure(Model model, FixedPoints.FixedPoint p, Tensor inputs, double[] xBar) {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(model, inputs)) {
            TraceEstimates tr = Channel.traces(s);
            Channel.Result c = Channel.of(s, p, xBar, arena, tr.trace().value());
            int t = (int) s.steps();
            return new Point(
                    c.mu(),
                    t,
                    c.shareOfTrace(),
                    c.channelEigenvalue(),
                    c.cosineWithTopEigenvector(),
                    tr.effectiveRank().value(),
                    tr.effectiveRank().stdError(),
                    c.normalFormCosine(),
                    linearLaw(c.mu(), t),
                    drivenLaw(c.mu(), t),
                    tr.trace().value());
        }
    }

    /**
     * The linear model's channel strength over a horizon T (DESIGN.md, "Learning dynamics near
     * bifurcations"): for alpha_t = g^t alpha_0 with g = 1 + mu, d alpha_t / d g = t g^(t-1) alpha_0,
     * so the strength is sum_{t=1..T} t^2 g^(2(t-1)) (per alpha_0^2); as T grows it tends to
     * (1 + g^2)/(1 - g^2)^3 ~ 1/(4 |mu|^3) when |g| &lt; 1, and it grows like T^3 / 3 at mu = 0.
     */
    public static double linearLaw(double mu, int steps) {
        double x = (1 + mu) * (1 + mu), power = 1, s = 0;
        for (int t = 1; t <= steps; t++) {
            s += (double) t * t * power;
            power *= x;
        }
        return s;
    }

    /**
     * The same model driven instead of kicked once: alpha_t = g alpha_(t-1) + xi_t from alpha_0 = 0
     * with xi_t independent of unit variance, the expected strength sum_{t=1..T} E[d_t^2] of
     * d_t = d alpha_t / d g = alpha_(t-1) + g d_(t-1), by the exact recursion on the second moments
     * A = E alpha^2, C = E alpha d, D = E d^2:
     * A' = g^2 A + 1, C' = g A + g^2 C, D' = A + 2 g C + g^2 D. At mu = 0 it grows like T^4 / 12
     * (against T^3 / 3 for one kick); with |g| &lt; 1 it grows like T (1 + g^2)/(1 - g^2)^3.
     */
    public static double drivenLaw(double mu, int steps) {
        double g = 1 + mu, a = 0, c = 0, d = 0, s = 0;
        for (int t = 1; t <= steps; t++) {
            double a1 = g * g * a + 1, c1 = g * a + g * g * c, d1 = a + 2 * g * c + g * g * d;
            a = a1;
            c = c1;
            d = d1;
            s += d;
        }
        return s;
    }
}
