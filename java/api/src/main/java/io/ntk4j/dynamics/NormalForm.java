package io.ntk4j.dynamics;

/**
 * The normal forms of the codimension-one crossings of a fixed point's spectrum through the unit
 * circle (issue 17; DESIGN.md, "Learning dynamics near bifurcations"), in the critical coordinate
 * alpha = w^T (h - h_bar) (complex, u^H (h - h_bar), for a pair), each with the parameter whose
 * change {@link Channel}'s normal-form cosine follows:
 * <pre>
 *   PITCHFORK       alpha' = (1 + mu) alpha - kappa alpha^3            (mu: the linear coefficient)
 *   FLIP            alpha' = -(1 + mu) alpha - kappa alpha^3           (mu: the linear coefficient)
 *   SADDLE_NODE     alpha' = nu + lambda alpha + a alpha^2            (nu: the constant term)
 *   NEIMARK_SACKER  alpha' = (1 + mu) e^(i omega) alpha - kappa |alpha|^2 alpha   (complex kappa)
 * </pre>
 * kappa, a and the complex kappa come from the cell itself (derivatives of w^T f(h_bar + eps v),
 * and for the pair the first Fourier mode of u^H f on a small circle in the plane of v).
 */
public enum NormalForm {
    PITCHFORK,
    SADDLE_NODE,
    FLIP,
    NEIMARK_SACKER;

    /**
     * The form {@code p}'s critical eigenvalue points to: a complex pair is a Neimark-Sacker
     * crossing, a negative real eigenvalue a flip, a positive one a pitchfork (a saddle-node has the
     * same +1 eigenvalue; only the path, a pair of fixed points born or lost, tells it apart, so it is
     * asked for by name).
     */
    public static NormalForm of(FixedPoints.FixedPoint p) {
        int c = p.criticalIndex();
        double re = p.eigenvaluesRe()[c], im = p.eigenvaluesIm()[c];
        if (Math.abs(im) > 1e-12 * Math.max(1, Math.abs(re))) {
            return NEIMARK_SACKER;
        }
        return re < 0 ? FLIP : PITCHFORK;
    }
}
