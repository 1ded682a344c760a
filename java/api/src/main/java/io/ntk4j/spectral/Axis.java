package io.ntk4j.spectral;

/**
 * The named axes of a state space [B, T, H].
 *
 * {@snippet :
 * long steps = Axis.TIME.length(session.batch(), session.steps(), session.hiddenSize());   // T
 * }
 */
public enum Axis {
    BATCH,
    TIME,
    HIDDEN;

    /** Length of this axis in a [B, T, H] space. */
    public long length(long batch, long steps, long hidden) {
        return switch (this) {
            case BATCH -> batch;
            case TIME -> steps;
            case HIDDEN -> hidden;
        };
    }

    /** Index along this axis of the flat state index i = (b*T + t)*H + h. */
    long kept(long i, long steps, long hidden) {
        return switch (this) {
            case BATCH -> i / (steps * hidden);
            case TIME -> (i / hidden) % steps;
            case HIDDEN -> i % hidden;
        };
    }

    /** Index over the other two axes (the traced ones) of flat state index i. */
    long traced(long i, long steps, long hidden) {
        long h = i % hidden, t = (i / hidden) % steps, b = i / (steps * hidden);
        return switch (this) {
            case BATCH -> t * hidden + h;
            case TIME -> b * hidden + h;
            case HIDDEN -> b * steps + t;
        };
    }
}
