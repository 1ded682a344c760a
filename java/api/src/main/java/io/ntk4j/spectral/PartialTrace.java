package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * Reduces an operator on a state space [B, T, H] to one named axis (DESIGN.md, partial effective
 * dimension), as an m x m matrix (m = the kept axis' length):
 * <ul>
 *   <li>{@link Reduction#TRUE_PARTIAL_TRACE}: M[r,r'] = sum_s A[(s,r),(s,r')]; exact with n applies
 *       ({@code samples = 0}) or estimated with {@code samples} random-sign probe blocks of m
 *       vectors (E[E_z^T A E_z] = M for E_z = z (x) I_m with Rademacher z);</li>
 *   <li>{@link Reduction#KPFLOW}: kpflow's broadcast-reduce M[r,r'] = sum_{s,s'} A[(s,r),(s',r')],
 *       exactly, with m applies.</li>
 * </ul>
 * Dividing by the traced size n/m gives the partial average ({@link #average}).
 *
 * {@snippet :
 * Tensor m = PartialTrace.of(session.K(), session.batch(), session.steps(), session.hiddenSize(),
 *     Axis.HIDDEN, Reduction.TRUE_PARTIAL_TRACE, 0, 1, arena);   // H x H
 * }
 */
public final class PartialTrace {
    private PartialTrace() {}

    /** The m x m reduction of {@code a} to {@code keep}; see the class comment. */
    public static Tensor of(
            LinearOperator a,
            long batch,
            long steps,
            long hidden,
            Axis keep,
            Reduction reduction,
            int samples,
            long seed,
            Arena arena) {
        long n = Math.multiplyExact(Math.multiplyExact(batch, steps), hidden);
        if (a.rows() != n || a.cols() != n) {
            throw new InvalidInputException("partial trace over [B,T,H] = [" + batch + "," + steps + "," + hidden
                    + "] needs an operator of dimension " + n + ", got " + a.rows() + " x " + a.cols());
        }
        if (samples < 0) {
            throw new InvalidInputException("samples must be >= 0 (0 = exact), got " + samples);
        }
        long m = keep.length(batch, steps, hidden);
        Tensor out = Tensor.allocate(arena, m, m);
        try (Arena tmp = Arena.ofConfined()) {
            if (reduction == Reduction.KPFLOW || samples > 0) {
                int reps = reduction == Reduction.KPFLOW ? 1 : samples;
                SplittableRandom rng = new SplittableRandom(seed);
                long traced = n / m;
                double[] z = new double[Math.toIntExact(traced)];
                Tensor e = Tensor.allocate(tmp, m, n), y = Tensor.allocate(tmp, m, n);
                for (int rep = 0; rep < reps; rep++) {
                    for (int s = 0; s < z.length; s++) {
                        z[s] = reduction == Reduction.KPFLOW ? 1.0 : (rng.nextBoolean() ? 1.0 : -1.0);
                    }
                    for (long i = 0; i < n; i++) {
                        long r = keep.kept(i, steps, hidden);
                        // Column r of E_z: z on the traced axes at kept index r (the previous sample's entries
                        // are overwritten: each (r, i) pair is set exactly once per sample).
                        for (long rr = 0; rr < m; rr++) {
                            e.setFlat(rr * n + i, rr == r ? z[(int) keep.traced(i, steps, hidden)] : 0.0);
                        }
                    }
                    a.apply(e, y);
                    // M += E_z^T A E_z
                    for (long c = 0; c < m; c++) {
                        for (long i = 0; i < n; i++) {
                            long r = keep.kept(i, steps, hidden);
                            double v = y.getFlat(c * n + i) * z[(int) keep.traced(i, steps, hidden)];
                            out.setFlat(r * m + c, out.getFlat(r * m + c) + v / reps);
                        }
                    }
                }
            } else {
                // Exact: A applied to every unit vector, in blocks of m (one block per traced index s).
                long traced = n / m;
                Tensor e = Tensor.allocate(tmp, m, n), y = Tensor.allocate(tmp, m, n);
                for (long s = 0; s < traced; s++) {
                    for (long i = 0; i < e.size(); i++) {
                        e.setFlat(i, 0.0);
                    }
                    long[] idx = new long[(int) m];
                    long found = 0;
                    for (long i = 0; i < n && found < m; i++) {
                        if (keep.traced(i, steps, hidden) == s) {
                            long r = keep.kept(i, steps, hidden);
                            idx[(int) r] = i;
                            e.setFlat(r * n + i, 1.0);
                            found++;
                        }
                    }
                    a.apply(e, y);
                    for (long c = 0; c < m; c++) {
                        for (long r = 0; r < m; r++) {
                            out.setFlat(r * m + c, out.getFlat(r * m + c) + y.getFlat(c * n + idx[(int) r]));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The partial average: {@link #of} divided by the traced size n/m. */
    public static Tensor average(
            LinearOperator a,
            long batch,
            long steps,
            long hidden,
            Axis keep,
            Reduction reduction,
            int samples,
            long seed,
            Arena arena) {
        Tensor m = of(a, batch, steps, hidden, keep, reduction, samples, seed, arena);
        double traced = (double) (batch * steps * hidden) / keep.length(batch, steps, hidden);
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, m.getFlat(i) / traced);
        }
        return m;
    }
}
