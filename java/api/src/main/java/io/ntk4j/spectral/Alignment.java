package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * Frobenius inner products, norms and the alignment (cosine similarity) of operators,
 * cos(A, B) = &lt;A, B&gt;_F / (||A||_F ||B||_F) (DESIGN.md, "Spectral quantities"), estimated with
 * shared random-sign probes: for Rademacher w, E[(A w) . (B w)] = &lt;A, B&gt;_F and
 * E[||A w||^2] = ||A||_F^2, so one block apply of each operator serves all three; or exactly, with
 * the identity as probes (n applies).
 *
 * {@snippet :
 * Estimate cos = Alignment.estimate(session.ntk(), session.K(), 200, 1);   // NTK_S vs K
 * }
 */
public final class Alignment {
    private Alignment() {}

    /** Alignment estimated from {@code probes} shared random-sign probes; std error by the jackknife. */
    public static Estimate estimate(LinearOperator a, LinearOperator b, int probes, long seed) {
        check(a, b);
        if (probes < 2) {
            throw new InvalidInputException("alignment needs at least 2 probes, got " + probes);
        }
        long n = a.cols();
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, probes, n);
            SplittableRandom rng = new SplittableRandom(seed);
            for (long i = 0; i < w.size(); i++) {
                w.setFlat(i, rng.nextBoolean() ? 1.0 : -1.0);
            }
            double[][] s = sums(a, b, w, probes, arena);
            double ab = 0, aa = 0, bb = 0;
            for (int j = 0; j < probes; j++) {
                ab += s[0][j];
                aa += s[1][j];
                bb += s[2][j];
            }
            double value = ab / Math.sqrt(aa * bb);
            double[] loo = new double[probes];
            double mean = 0;
            for (int j = 0; j < probes; j++) {
                loo[j] = (ab - s[0][j]) / Math.sqrt((aa - s[1][j]) * (bb - s[2][j]));
                mean += loo[j] / probes;
            }
            double var = 0;
            for (double v : loo) {
                var += (v - mean) * (v - mean);
            }
            return new Estimate(value, Math.sqrt(var * (probes - 1) / probes), 2L * probes);
        }
    }

    /** The alignment exactly (the identity as probes: n applies of each operator). */
    public static double exact(LinearOperator a, LinearOperator b) {
        check(a, b);
        long n = a.cols();
        double ab = 0, aa = 0, bb = 0;
        int block = (int) Math.min(n, 256);
        try (Arena arena = Arena.ofConfined()) {
            for (long j0 = 0; j0 < n; j0 += block) {
                int k = (int) Math.min(block, n - j0);
                Tensor e = Tensor.allocate(arena, k, n);
                for (int j = 0; j < k; j++) {
                    e.setFlat(j * n + j0 + j, 1.0);
                }
                double[][] s = sums(a, b, e, k, arena);
                for (int j = 0; j < k; j++) {
                    ab += s[0][j];
                    aa += s[1][j];
                    bb += s[2][j];
                }
            }
        }
        return ab / Math.sqrt(aa * bb);
    }

    /**
     * How much of {@code v} lies in the span of the first j of the orthonormal {@code modes}
     * ([k, n], e.g. an operator's top eigenvectors): entry j-1 is ||U_j^T v||^2 / ||v||^2 for
     * j = 1..k, nondecreasing and at most 1. The alignment of a GD update (or an error signal) with
     * an operator's dominant modes.
     */
    public static double[] captured(Tensor modes, Tensor v) {
        long n = v.size();
        if (modes.size() % n != 0 || modes.size() == 0) {
            throw new InvalidInputException("modes of " + modes.size() + " entries are not vectors of length " + n);
        }
        int k = Math.toIntExact(modes.size() / n);
        double norm = 0;
        for (long i = 0; i < n; i++) {
            norm += v.getFlat(i) * v.getFlat(i);
        }
        if (!(norm > 0)) {
            throw new InvalidInputException("the vector is zero: its share in the modes is undefined");
        }
        double[] out = new double[k];
        double acc = 0;
        for (int j = 0; j < k; j++) {
            double c = 0;
            for (long i = 0; i < n; i++) {
                c += modes.getFlat(j * n + i) * v.getFlat(i);
            }
            acc += c * c;
            out[j] = acc / norm;
        }
        return out;
    }

    /** Per probe j: (A w_j).(B w_j), ||A w_j||^2, ||B w_j||^2. */
    private static double[][] sums(LinearOperator a, LinearOperator b, Tensor w, int k, Arena arena) {
        long m = a.rows();
        Tensor aw = Tensor.allocate(arena, k, m), bw = Tensor.allocate(arena, k, m);
        a.apply(w, aw);
        b.apply(w, bw);
        double[][] s = new double[3][k];
        for (int j = 0; j < k; j++) {
            double ab = 0, aa = 0, bb = 0;
            for (long i = 0; i < m; i++) {
                double x = aw.getFlat(j * m + i), y = bw.getFlat(j * m + i);
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
            s[0][j] = ab;
            s[1][j] = aa;
            s[2][j] = bb;
        }
        return s;
    }

    private static void check(LinearOperator a, LinearOperator b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new InvalidInputException("alignment needs operators of the same shape, got " + a.rows() + " x "
                    + a.cols() + " and " + b.rows() + " x " + b.cols());
        }
    }
}
