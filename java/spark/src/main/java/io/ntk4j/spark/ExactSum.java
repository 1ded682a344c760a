package io.ntk4j.spark;

import java.io.Serial;
import java.io.Serializable;

/**
 * A sum of vectors kept as double-double (hi + lo, Knuth's TwoSum on every add), so that the
 * result rounded to double does not depend on the order Spark merges the shards' parts in (the
 * low parts' own rounding is ~1e-32 of the sum; only an exact sum that close to a rounding
 * boundary could round either way): the distributed apply gives the same numbers run after run,
 * however the tasks finish.
 */
final class ExactSum implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    private final double[] hi;
    private final double[] lo;

    ExactSum(int n) {
        hi = new double[n];
        lo = new double[n];
    }

    ExactSum add(double[] x) {
        for (int i = 0; i < hi.length; i++) {
            double s = hi[i] + x[i], v = s - hi[i];
            lo[i] += (hi[i] - (s - v)) + (x[i] - v); // the rounding error of hi + x, exactly
            hi[i] = s;
        }
        return this;
    }

    ExactSum merge(ExactSum o) {
        add(o.hi);
        for (int i = 0; i < lo.length; i++) {
            lo[i] += o.lo[i];
        }
        return this;
    }

    double[] value() {
        double[] out = new double[hi.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = hi[i] + lo[i];
        }
        return out;
    }
}
