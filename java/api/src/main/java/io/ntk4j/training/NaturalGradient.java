package io.ntk4j.training;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;

/**
 * Low-rank natural gradient (DESIGN.md, "Learning dynamics near bifurcations"):
 * delta theta = -eta (U Lambda U^T + rho I)^-1 g, with (Lambda, U) the top-r eigenpairs of the
 * state-space Gauss-Newton matrix G = J_h^T J_h (J_h = P J_theta, the full-unroll Jacobian),
 * found by block Lanczos on J_h^T J_h in parameter space, warm-started from the previous step's
 * eigenvectors (a converged start costs one block apply). By the Woodbury identity
 * (U Lambda U^T + rho I)^-1 g = (g - U diag(lambda / (lambda + rho)) U^T g) / rho, so the amplified
 * directions (a bifurcation channel) are damped by rho / (lambda + rho) relative to the rest.
 * Default rho = lambda_r (the r-th eigenvalue): directions beyond the top r move like SGD with
 * step eta / lambda_r.
 *
 * <p>With {@code matchedToSgd} the direction is multiplied by rho, i.e. the preconditioner is rho (U Lambda U^T + rho I)^-1:
 * the step is then exactly SGD's outside the top-r subspace and SGD's scaled by
 * rho / (lambda_i + rho) along u_i, so at the same learning rate the two methods differ only in
 * how the amplified directions move (their curvature is capped near rho).
 *
 * {@snippet :
 * Trainer tr = new Trainer(model, null, inputs, targets, Loss.STATE,
 *     new Optimizer(Optimizer.Kind.SGD, 1e-3, 0), Set.of("weight_hh"))
 *     .withNaturalGradient(new NaturalGradient(4, Double.NaN));   // r = 4, rho = lambda_4
 * tr.step();
 * }
 */
public final class NaturalGradient {
    private final int rank;
    private final double rhoOverride;
    private final boolean matched;
    private final double tol;
    /**
     * Default residual tolerance of the per-step eigen-solve, relative to lambda_1: the preconditioner needs
     * the top eigenpairs to a few digits only (an error in U changes it by as much, and it stays
     * symmetric positive definite), and a warm start then converges in one or two blocks.
     */
    public static final double DEFAULT_TOL = 1e-4;

    private long lanczosVectors;
    private long solves;
    private Tensor previous; // the last solve's eigenvectors [r, p] (warm start of the next)

    /** @param rho the damping, or NaN for the default lambda_r */
    public NaturalGradient(int rank, double rho) {
        this(rank, rho, false);
    }

    /**
     * @param rho the damping, or NaN for the default lambda_r
     * @param matchedToSgd scale the direction by rho (SGD's step outside the top-r subspace)
     */
    public NaturalGradient(int rank, double rho, boolean matchedToSgd) {
        this(rank, rho, matchedToSgd, DEFAULT_TOL);
    }

    /** @param tol residual tolerance of the per-step eigen-solve relative to lambda_1 ({@link #DEFAULT_TOL}) */
    public NaturalGradient(int rank, double rho, boolean matchedToSgd, double tol) {
        if (!(tol > 0) || !Double.isFinite(tol)) {
            throw new InvalidInputException("eigen-solve tolerance must be a finite number > 0, got " + tol);
        }
        if (rank < 1) {
            throw new InvalidInputException("natural-gradient rank r must be >= 1, got " + rank);
        }
        if (!Double.isNaN(rho) && !(rho > 0 && Double.isFinite(rho))) {
            throw new InvalidInputException("rho must be a finite number > 0 (or NaN for the default), got " + rho);
        }
        this.rank = rank;
        this.rhoOverride = rho;
        this.matched = matchedToSgd;
        this.tol = tol;
    }

    /** Whether the direction is scaled by rho (see the class documentation). */
    public boolean matchedToSgd() {
        return matched;
    }

    /** Eigen-solves so far (one per preconditioned step). */
    public long solves() {
        return solves;
    }

    /** Vectors pushed through J_h^T J_h by the eigen-solves so far (the overhead over SGD). */
    public long lanczosVectors() {
        return lanczosVectors;
    }

    /**
     * The preconditioned direction (U Lambda U^T + rho I)^-1 g for the cell parameters of
     * {@code model} on {@code inputs} (g flat, PyTorch order).
     */
    public double[] precondition(Model model, Tensor inputs, double[] g) {
        try (Session s = Session.open(model, inputs)) {
            return precondition(s, g);
        }
    }

    /** As {@link #precondition(Model, Tensor, double[])} on an open session (no second unroll). */
    public double[] precondition(Session s, double[] g) {
        try (LinearOperator j = s.P().compose(s.jtheta());
                LinearOperator jt = j.adjoint();
                LinearOperator gn = jt.gram()) {
            if (g.length != s.numParams()) {
                throw new InvalidInputException("gradient has " + g.length + " values but the model " + s.numParams());
            }
            int r = (int) Math.min(rank, s.numParams());
            // Warm start from the previous step's eigenvectors: G moves little per step, so they are
            // nearly invariant and a few block applies bring them back to the tolerance.
            EigsOptions opts = EigsOptions.top(r).withVectors(true).withTol(tol);
            boolean warm = previous != null && previous.dim(1) == s.numParams() && previous.dim(0) == r;
            EigenResult e = warm ? Eigs.top(gn, opts, previous) : Eigs.top(gn, opts);
            previous = e.vectors();
            lanczosVectors += e.vectorApplies();
            solves++;
            double lambdaR = e.values()[r - 1];
            double rho = Double.isNaN(rhoOverride) ? lambdaR : rhoOverride;
            if (!(rho > 0)) {
                throw new io.ntk4j.NumericalException(
                        "the Gauss-Newton matrix has rank < " + r + " (lambda_r = " + lambdaR
                                + "): pass an explicit rho",
                        0);
            }
            double[] out = g.clone();
            long n = g.length;
            for (int i = 0; i < r; i++) {
                double proj = 0;
                for (long p = 0; p < n; p++) {
                    proj += e.vectors().getFlat(i * n + p) * g[(int) p];
                }
                double f = e.values()[i] / (e.values()[i] + rho);
                for (long p = 0; p < n; p++) {
                    out[(int) p] -= f * proj * e.vectors().getFlat(i * n + p);
                }
            }
            if (!matched) {
                for (int p = 0; p < out.length; p++) {
                    out[p] /= rho;
                }
            }
            return out;
        }
    }
}
