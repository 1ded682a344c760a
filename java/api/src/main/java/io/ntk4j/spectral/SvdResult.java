package io.ntk4j.spectral;

import io.ntk4j.Tensor;

/**
 * Top singular triplets with diagnostics: {@code values} descending,
 * {@code residuals[i] = max(||A v_i - s_i u_i||, ||A* u_i - s_i v_i||)}, {@code u} [k, rows] and
 * {@code v} [k, cols] or null, {@code converged} of them within the tolerance.
 *
 * {@snippet :
 * SvdResult s = Svd.top(session.P(), SvdOptions.top(3));   // top singular values of P
 * double sigma1 = s.values()[0];
 * }
 */
public record SvdResult(
        double[] values, double[] residuals, Tensor u, Tensor v, int converged, long applies, long iterations) {
    public boolean isConverged() {
        return converged == values.length;
    }
}
