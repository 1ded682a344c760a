package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;

/**
 * The threshold rank of a PSD operator: the fewest top eigenvalues whose sum reaches a fraction
 * q of the trace, min { k : sum_{i &lt;= k} lambda_i &gt;= q tr A } (kpflow's "how many modes explain
 * 95 % of the variance"; q = 0.95 by default).
 *
 * <p>From the full spectrum it is exact. From the top eigenvalues and an estimated trace it is
 * known only as far as they reach: {@code rank} is the value at the estimated trace, and
 * {@code lower}..{@code upper} the ranks at tr -/+ 2 standard errors; when the top eigenvalues do
 * not reach q (tr + 2 SE), {@code upper} is -1 (more eigenvalues are needed, {@code resolved}
 * false), when they do not reach q tr, {@code rank} is -1 too, and when they do not even reach
 * q (tr - 2 SE), {@code lower} is their count + 1 (a lower bound).
 *
 * {@snippet :
 * ThresholdRank r = ThresholdRank.of(Eigs.exact(session.ntk()), null, 0.95);   // exact
 * }
 */
public record ThresholdRank(double fraction, int rank, int lower, int upper, boolean exact) {
    /** Whether the rank is pinned down: known exactly, or its whole interval within the top eigenvalues. */
    public boolean resolved() {
        return rank > 0 && upper > 0;
    }

    /**
     * @param values eigenvalues, descending: the whole spectrum when {@code trace} is null, else the top ones
     * @param trace the trace with its standard error (null: the sum of {@code values}, exact)
     */
    public static ThresholdRank of(double[] values, Estimate trace, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new InvalidInputException("the threshold fraction must be in (0, 1], got " + fraction);
        }
        if (values.length == 0) {
            throw new InvalidInputException("the threshold rank needs at least one eigenvalue");
        }
        if (trace == null) {
            double sum = 0;
            for (double v : values) {
                sum += v;
            }
            if (!(sum > 0)) {
                throw new InvalidInputException("the operator's trace is " + sum + ": no threshold rank");
            }
            int k = reach(values, fraction * sum);
            return new ThresholdRank(fraction, k, k, k, true);
        }
        double t = trace.value(), se = trace.stdError();
        if (!(t > 0)) {
            throw new InvalidInputException("the operator's trace is " + t + ": no threshold rank");
        }
        int low = reach(values, fraction * Math.max(t - 2 * se, 0));
        return new ThresholdRank(
                fraction,
                reach(values, fraction * t),
                low > 0 ? low : values.length + 1, // beyond the top eigenvalues: a lower bound only
                reach(values, fraction * (t + 2 * se)),
                false);
    }

    /** The fewest leading values summing to at least {@code target}, or -1 if all of them do not. */
    private static int reach(double[] values, double target) {
        double acc = 0;
        for (int i = 0; i < values.length; i++) {
            acc += values[i];
            if (acc >= target) {
                return i + 1;
            }
        }
        return -1;
    }
}
