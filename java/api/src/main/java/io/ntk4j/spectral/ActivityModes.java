package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;

/**
 * The Global-NTK paper's self-referential bias, measured: the weight-site Gram Gamma = A A^T over
 * the (b, t) pairs, A = [B*T, dim] the site's activity (rnn_leaky: the joint hidden and input
 * activity [tanh h; x], and K = dt^2 (Gamma (x) I_H)), its dominant modes U_r (the top r
 * eigenvectors, in R^{BT}), and how much of a state-space vector v = [B, T, W] lies in their span
 * U_r (x) R^W: ||U_r^T V||_F^2 / ||V||_F^2 with V the [BT, W] matrix of v. A vector with no
 * preference has share r / (BT) on average.
 *
 * <p>Gamma's non-zero eigenpairs come from the small dim x dim side C = A^T A: with C w = lambda w,
 * u = A w / sqrt(lambda) (exact, dense, no BT x BT matrix).
 *
 * {@snippet :
 * ActivityModes.Result g = ActivityModes.of(session, 0, 5, arena);
 * double share = g.share(ntkTopEigenvector);   // versus g.chance()
 * }
 */
public final class ActivityModes {
    private ActivityModes() {}

    /**
     * @param eigenvalues Gamma's non-zero-side eigenvalues, descending (dim of them; the rest are 0)
     * @param modes U_r, [r, BT], orthonormal rows
     * @param effectiveRank (tr Gamma)^2 / tr Gamma^2
     */
    public record Result(int site, double[] eigenvalues, Tensor modes, double effectiveRank, long pairs) {
        /** Expected share of a vector with no preference: r / (BT). */
        public double chance() {
            return (double) (modes.size() / pairs) / pairs;
        }

        /** ||U_r^T V||_F^2 / ||V||_F^2 for v of B*T*W entries (its last axis W, steps in (b, t) order). */
        public double share(Tensor v) {
            if (v.size() % pairs != 0) {
                throw new InvalidInputException("a vector of " + v.size() + " entries is not [B*T=" + pairs + ", W]");
            }
            long w = v.size() / pairs;
            int r = Math.toIntExact(modes.size() / pairs);
            double total = 0, inside = 0;
            for (long i = 0; i < v.size(); i++) {
                total += v.getFlat(i) * v.getFlat(i);
            }
            if (!(total > 0)) {
                throw new InvalidInputException("the vector is zero: its share is undefined");
            }
            double[] proj = new double[Math.toIntExact(w)];
            for (int k = 0; k < r; k++) {
                java.util.Arrays.fill(proj, 0);
                for (long p = 0; p < pairs; p++) {
                    double u = modes.getFlat(k * pairs + p);
                    for (int c = 0; c < w; c++) {
                        proj[c] += u * v.getFlat(p * w + c);
                    }
                }
                for (double x : proj) {
                    inside += x * x;
                }
            }
            return inside / total;
        }
    }

    /** Gamma of site {@code site} of {@code s} and its top {@code r} modes (in {@code arena}). */
    public static Result of(Session s, int site, int r, Arena arena) {
        long pairs = s.batch() * s.steps();
        try (Arena tmp = Arena.ofConfined()) {
            Tensor a = s.siteActivity(site, tmp);
            int dim = Math.toIntExact(a.dim(1));
            if (r <= 0 || r > Math.min(dim, pairs)) {
                throw new InvalidInputException("modes must be in [1, " + Math.min(dim, pairs) + "] (the rank of "
                        + "Gamma is at most the activity's dimension " + dim + "), got " + r);
            }
            double[] ad = a.toArray(), c = new double[dim * dim];
            for (long p = 0; p < pairs; p++) {
                for (int i = 0; i < dim; i++) {
                    double x = ad[(int) (p * dim + i)];
                    for (int j = 0; j < dim; j++) {
                        c[i * dim + j] += x * ad[(int) (p * dim + j)];
                    }
                }
            }
            double tr = 0, tr2 = 0;
            for (int i = 0; i < dim; i++) {
                tr += c[i * dim + i];
                for (int j = 0; j < dim; j++) {
                    tr2 += c[i * dim + j] * c[i * dim + j]; // tr Gamma^2 = ||A^T A||_F^2
                }
            }
            if (!(tr > 0)) {
                throw new io.ntk4j.NumericalException("site " + site + "'s activity is zero: no modes", 0);
            }
            io.ntk4j.LinearOperator cop = SmallSymmetric.dense(c, dim);
            double[] values = Eigs.exact(cop);
            Tensor w = Eigs.exactVectors(cop, r, tmp);
            Tensor modes = Tensor.allocate(arena, r, pairs);
            for (int k = 0; k < r; k++) {
                if (!(values[k] > 1e-14 * values[0])) {
                    throw new io.ntk4j.NumericalException(
                            "Gamma has rank " + k + " < " + r + " (its eigenvalue " + (k + 1) + " is 0)", 0);
                }
                double scale = 1 / Math.sqrt(values[k]);
                for (long p = 0; p < pairs; p++) {
                    double u = 0;
                    for (int i = 0; i < dim; i++) {
                        u += ad[(int) (p * dim + i)] * w.getFlat((long) k * dim + i);
                    }
                    modes.setFlat(k * pairs + p, u * scale);
                }
            }
            return new Result(site, values, modes, tr * tr / tr2, pairs);
        }
    }
}
