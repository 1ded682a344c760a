package io.ntk4j.spectral;

import io.ntk4j.Tensor;

/**
 * Top eigenpairs with their diagnostics (STYLE.md 3). {@code values} are descending;
 * {@code residuals[i] = ||A v_i - lambda_i v_i||}; exactly {@code converged} of them met the
 * tolerance (an unconverged result is reported, not thrown). {@code vectors} is [k, n] or null.
 *
 * {@snippet :
 * EigenResult r = Eigs.top(session.K(), EigsOptions.top(3).withVectors(true));
 * if (r.converged() < 3) {
 *   System.err.println("only " + r.converged() + " of 3 converged; residuals " + Arrays.toString(r.residuals()));
 * }
 * }
 */
public record EigenResult(
        double[] values,
        double[] residuals,
        Tensor vectors,
        int converged,
        long blockApplies,
        long vectorApplies,
        long restarts,
        int block,
        int basis) {
    /** True when every requested eigenpair met the tolerance. */
    public boolean isConverged() {
        return converged == values.length;
    }
}
