package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * The spectral density of a symmetric operator by stochastic Lanczos quadrature (SLQ; Ubaru,
 * Chen and Saad 2017, the method of PyHessian's {@code density()}). For each of p normalized
 * random-sign probes v, m Lanczos steps from v give a tridiagonal T_m with eigenpairs
 * (theta_j, y_j); the Gauss quadrature nodes theta_j with weights tau_j = (e_1^T y_j)^2 satisfy
 * sum_j tau_j f(theta_j) = v^T f(A) v exactly for polynomials f of degree &lt; 2m, and
 * E[v^T f(A) v] = tr f(A) / n. The density smoothed by a Gaussian of width sigma,
 *
 * <pre>
 *   phi(t) = n / p * sum_v sum_j tau_j exp(-(t - theta_j)^2 / (2 sigma^2)) / (sqrt(2 pi) sigma),
 * </pre>
 *
 * integrates to n (the number of eigenvalues); its standard error at each t is that of the mean
 * over the p probes. All probes run as one block (one apply of A per Lanczos step for all of
 * them), each fully reorthogonalized against its own basis.
 *
 * {@snippet :
 * SpectralDensity.Result d = SpectralDensity.slq(session.ntk(), 16, 60, 400, 0, 1);
 * // d.grid()[i], d.density()[i] +- d.stdError()[i]
 * }
 */
public final class SpectralDensity {
    private SpectralDensity() {}

    /**
     * @param nodes per probe, the quadrature nodes theta_j (Ritz values)
     * @param weights per probe, tau_j (summing to 1)
     * @param applies operator applies (one per Lanczos step, for a block of all probes)
     */
    public record Result(
            double[] grid,
            double[] density,
            double[] stdError,
            double[][] nodes,
            double[][] weights,
            double sigma,
            int steps,
            long applies) {
        /** The estimate of tr f(A) for f given as a function of one eigenvalue, with its standard error. */
        public Estimate trace(java.util.function.DoubleUnaryOperator f, long n) {
            int p = nodes.length;
            double[] per = new double[p];
            double mean = 0;
            for (int v = 0; v < p; v++) {
                for (int j = 0; j < nodes[v].length; j++) {
                    per[v] += weights[v][j] * f.applyAsDouble(nodes[v][j]);
                }
                per[v] *= n;
                mean += per[v] / p;
            }
            double var = 0;
            for (double x : per) {
                var += (x - mean) * (x - mean);
            }
            return new Estimate(mean, p > 1 ? Math.sqrt(var / (p - 1) / p) : Double.NaN, applies);
        }
    }

    /**
     * @param probes random-sign probes (at least 2, for the error bars)
     * @param steps Lanczos steps per probe (capped at n; more steps resolve more of the spectrum)
     * @param points grid points between the extreme nodes (padded by 3 sigma)
     * @param sigma the Gaussian's width; 0: 1 % of the range of the nodes
     */
    public static Result slq(LinearOperator a, int probes, int steps, int points, double sigma, long seed) {
        if (!a.isSymmetric() || a.rows() != a.cols()) {
            throw new InvalidInputException(a + " is not symmetric: its spectral density is not defined this way");
        }
        if (probes < 2 || steps < 1 || points < 2 || !(sigma >= 0)) {
            throw new InvalidInputException("SLQ needs probes >= 2, steps >= 1, points >= 2 and sigma >= 0, got "
                    + probes + ", " + steps + ", " + points + ", " + sigma);
        }
        long n = a.cols();
        int m = (int) Math.min(steps, n);
        if ((long) probes * m * n > (1L << 26)) {
            throw new InvalidInputException("the Lanczos bases of " + probes + " probes x " + m + " steps x " + n
                    + " take over 512 MiB: fewer probes or steps");
        }
        int ni = Math.toIntExact(n);
        double[][] alpha = new double[probes][m], beta = new double[probes][m];
        double[][][] basis = new double[probes][m][]; // q_j of each probe
        int[] len = new int[probes];
        long applies = 0;
        try (Arena arena = Arena.ofConfined()) {
            Tensor cur = Tensor.allocate(arena, probes, n), w = Tensor.allocate(arena, probes, n);
            SplittableRandom rng = new SplittableRandom(seed);
            double inv = 1 / Math.sqrt(n);
            for (long i = 0; i < cur.size(); i++) {
                cur.setFlat(i, rng.nextBoolean() ? inv : -inv);
            }
            boolean[] done = new boolean[probes];
            for (int j = 0; j < m; j++) {
                a.apply(cur, w); // one block apply for every probe
                applies++;
                for (int v = 0; v < probes; v++) {
                    if (done[v]) {
                        continue;
                    }
                    long o = v * n;
                    double[] q = cur.segment()
                            .asSlice(o * Double.BYTES, n * Double.BYTES)
                            .toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE);
                    double[] r = w.segment()
                            .asSlice(o * Double.BYTES, n * Double.BYTES)
                            .toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE);
                    basis[v][j] = q;
                    alpha[v][j] = dot(q, r, ni);
                    len[v] = j + 1;
                    // Full reorthogonalization (twice) against this probe's basis keeps the nodes honest.
                    for (int pass = 0; pass < 2; pass++) {
                        for (int k = 0; k <= j; k++) {
                            double c = dot(basis[v][k], r, ni);
                            double[] bk = basis[v][k];
                            for (int i = 0; i < ni; i++) {
                                r[i] -= c * bk[i];
                            }
                        }
                    }
                    double nb = Math.sqrt(dot(r, r, ni));
                    if (j + 1 < m && nb <= 1e-12 * Math.abs(alpha[v][0]) + 1e-300) {
                        done[v] = true; // an invariant subspace: the quadrature is exact with j + 1 nodes
                        continue;
                    }
                    beta[v][j] = nb;
                    for (int i = 0; i < ni; i++) {
                        r[i] = nb > 0 ? r[i] / nb : 0;
                    }
                    java.lang.foreign.MemorySegment.copy(
                            r, 0, cur.segment(), java.lang.foreign.ValueLayout.JAVA_DOUBLE, o * Double.BYTES, ni);
                }
            }
        }
        double[][] nodes = new double[probes][], weights = new double[probes][];
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (int v = 0; v < probes; v++) {
            double[][] eig = SmallSymmetric.tridiagonal(alpha[v], beta[v], len[v]);
            nodes[v] = eig[0];
            weights[v] = eig[1];
            for (double t : nodes[v]) {
                lo = Math.min(lo, t);
                hi = Math.max(hi, t);
            }
        }
        double s = sigma > 0 ? sigma : Math.max(0.01 * (hi - lo), 1e-12 * Math.max(Math.abs(hi), 1));
        double[] grid = new double[points], dens = new double[points], se = new double[points];
        double g0 = lo - 3 * s, g1 = hi + 3 * s;
        for (int i = 0; i < points; i++) {
            grid[i] = g0 + (g1 - g0) * i / (points - 1);
            double sum = 0, sq = 0;
            for (int v = 0; v < probes; v++) {
                double phi = 0;
                for (int j = 0; j < nodes[v].length; j++) {
                    double d = (grid[i] - nodes[v][j]) / s;
                    phi += weights[v][j] * Math.exp(-0.5 * d * d);
                }
                phi *= n / (Math.sqrt(2 * Math.PI) * s);
                sum += phi;
                sq += phi * phi;
            }
            dens[i] = sum / probes;
            se[i] = Math.sqrt(Math.max(sq / probes - dens[i] * dens[i], 0) / (probes - 1));
        }
        return new Result(grid, dens, se, nodes, weights, s, m, applies);
    }

    private static double dot(double[] x, double[] y, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x[i] * y[i];
        }
        return s;
    }
}
