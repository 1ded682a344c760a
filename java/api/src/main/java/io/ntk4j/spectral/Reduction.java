package io.ntk4j.spectral;

/**
 * How a Gram matrix G = A A* is reduced to one axis (DESIGN.md, partial effective dimension).
 *
 * {@snippet :
 * PartialEffectiveDims kpflow = EffectiveDims.partial(session.ntk(), session.batch(), session.steps(),
 *     session.hiddenSize(), Reduction.KPFLOW, false, 8, 64, 1);   // the public reference's reduction
 * }
 */
public enum Reduction {
    /** The textbook partial trace M[r,r'] = sum_s G[(s,r),(s,r')] (default). */
    TRUE_PARTIAL_TRACE(0),
    /** kpflow's broadcast-reduce M[r,r'] = sum_{s,s'} G[(s,r),(s',r')]. */
    KPFLOW(1);

    private final int code;

    Reduction(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
