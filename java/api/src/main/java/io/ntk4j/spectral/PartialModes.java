package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;

/**
 * An operator on [B, T, W] reduced to one axis or two kept together, exactly: its partial
 * effective dimension and its modes (the eigenvectors of the reduced matrix: kpflow's temporal and
 * spatial modes). DESIGN.md, "Spectral quantities".
 *
 * <p>The reduced matrix M is the partial trace (or kpflow's broadcast-reduce) of G = A A* when
 * {@code grammian} (kpflow's default, and what {@code spectrum}'s partial dimensions report), or of
 * A itself (kpflow's {@code grammian=False}; A must then be symmetric); the partial effective
 * dimension is (tr M)^2 / ||M||_F^2. Exact: the true partial trace takes n applies of the operator
 * reduced (2n of A with the Gram), kpflow's reduction m.
 *
 * {@snippet :
 * PartialModes.Result time = PartialModes.of(session.ntk(), session.batch(), session.steps(),
 *     session.hiddenSize(), Axis.TIME, Reduction.TRUE_PARTIAL_TRACE, false, 3, arena);
 * double dim = time.effectiveDim();   // modes(): [3, T]
 * }
 */
public final class PartialModes {
    private PartialModes() {}

    /**
     * @param effectiveDim (tr M)^2 / ||M||_F^2
     * @param eigenvalues M's eigenvalues, descending (all m of them)
     * @param modes M's top eigenvectors, [k, m] (row i for eigenvalue i), in {@link #of}'s arena
     */
    public record Result(
            Axis axis,
            Reduction reduction,
            boolean grammian,
            double effectiveDim,
            double[] eigenvalues,
            Tensor modes) {}

    /** Reduces {@code a} to {@code axis} and takes the top {@code modes} eigenvectors of the result. */
    public static Result of(
            LinearOperator a,
            long batch,
            long steps,
            long width,
            Axis axis,
            Reduction reduction,
            boolean grammian,
            int modes,
            Arena arena) {
        if (!grammian && !a.isSymmetric()) {
            throw new InvalidInputException(a + " is not symmetric: reduce its Gram A A* (grammian) instead");
        }
        long n = batch * steps * width, m = axis.length(batch, steps, width);
        if (modes < 0 || modes > m) {
            throw new InvalidInputException(
                    "modes must be in [0, " + m + "] for the " + axis.id() + " axis, got " + modes);
        }
        if (m * n > (1L << 27)) {
            throw new InvalidInputException("reducing a dimension-" + n + " operator to the " + axis.id() + " axis ("
                    + m + " entries) takes blocks of " + m + " x " + n + " doubles, over 1 GiB: keep a shorter axis "
                    + "or use spectrum's estimated partial dimensions");
        }
        double[] mat;
        try (Arena tmp = Arena.ofConfined();
                LinearOperator g = grammian ? a.gram() : null) {
            mat = PartialTrace.of(grammian ? g : a, batch, steps, width, axis, reduction, 0, 0, tmp)
                    .toArray();
        }
        int mi = Math.toIntExact(m);
        double trace = 0, frob = 0;
        for (int i = 0; i < mi; i++) {
            for (int j = 0; j < i; j++) { // symmetric up to rounding: make it so
                double s = 0.5 * (mat[i * mi + j] + mat[j * mi + i]);
                mat[i * mi + j] = s;
                mat[j * mi + i] = s;
            }
        }
        for (int i = 0; i < mi; i++) {
            trace += mat[i * mi + i];
            for (int j = 0; j < mi; j++) {
                frob += mat[i * mi + j] * mat[i * mi + j];
            }
        }
        if (!(frob > 0)) {
            throw new io.ntk4j.NumericalException(
                    "the reduced operator is zero: no partial effective dimension on the " + axis.id() + " axis", 0);
        }
        LinearOperator reduced = SmallSymmetric.dense(mat, mi);
        double[] eig = Eigs.exact(reduced);
        Tensor vectors = modes > 0 ? Eigs.exactVectors(reduced, modes, arena) : null;
        return new Result(axis, reduction, grammian, trace * trace / frob, eig, vectors);
    }
}
