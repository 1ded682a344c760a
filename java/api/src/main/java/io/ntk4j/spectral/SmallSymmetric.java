package io.ntk4j.spectral;

import io.ntk4j.LinearOperator;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;

/** Small dense symmetric eigenproblems, solved by LAPACK in the native core (Eigs.exact). */
final class SmallSymmetric {
    private SmallSymmetric() {}

    /** A symmetric operator from a dense row-major m x m matrix (assumed symmetric), applied in Java. */
    static LinearOperator dense(double[] mat, int m) {
        return LinearOperator.symmetric(m, (in, out) -> {
            long k = in.size() / m;
            for (long p = 0; p < k; p++) {
                for (int i = 0; i < m; i++) {
                    double acc = 0;
                    for (int j = 0; j < m; j++) {
                        acc += mat[i * m + j] * in.getFlat(p * m + j);
                    }
                    out.setFlat(p * m + i, acc);
                }
            }
        });
    }

    /**
     * The eigenvalues (descending) of the len x len tridiagonal matrix with diagonal alpha and
     * off-diagonal beta, and the squared first components of its eigenvectors (Gauss weights).
     */
    static double[][] tridiagonal(double[] alpha, double[] beta, int len) {
        double[] t = new double[len * len];
        for (int i = 0; i < len; i++) {
            t[i * len + i] = alpha[i];
            if (i + 1 < len) {
                t[i * len + i + 1] = beta[i];
                t[(i + 1) * len + i] = beta[i];
            }
        }
        LinearOperator op = dense(t, len);
        double[] values = Eigs.exact(op);
        double[] weights = new double[len];
        try (Arena arena = Arena.ofConfined()) {
            Tensor y = Eigs.exactVectors(op, len, arena);
            for (int j = 0; j < len; j++) {
                double first = y.getFlat((long) j * len);
                weights[j] = first * first;
            }
        }
        return new double[][] {values, weights};
    }
}
