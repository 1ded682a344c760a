package io.ntk4j.spectral;

/**
 * The named axes of a state space [B, T, H], alone or two kept together (kpflow's joint axes:
 * {@link #BATCH_TIME} keeps the trial-step pairs (b, t) and traces the hidden axis).
 *
 * {@snippet :
 * long steps = Axis.TIME.length(session.batch(), session.steps(), session.hiddenSize());   // T
 * }
 */
public enum Axis {
    BATCH,
    TIME,
    HIDDEN,
    /** (b, t) together, index b*T + t. */
    BATCH_TIME,
    /** (b, h) together, index b*H + h. */
    BATCH_HIDDEN,
    /** (t, h) together, index t*H + h. */
    TIME_HIDDEN;

    /** Parses {@code batch}, {@code time}, {@code hidden} or two of them joined by {@code *} ({@code batch*time}). */
    public static Axis fromId(String id) {
        String s = id.trim().toLowerCase(java.util.Locale.ROOT).replace('+', '*');
        return switch (s) {
            case "batch" -> BATCH;
            case "time" -> TIME;
            case "hidden" -> HIDDEN;
            case "batch*time", "time*batch" -> BATCH_TIME;
            case "batch*hidden", "hidden*batch" -> BATCH_HIDDEN;
            case "time*hidden", "hidden*time" -> TIME_HIDDEN;
            default ->
                throw new io.ntk4j.InvalidInputException("unknown axis \"" + id
                        + "\" (batch, time, hidden, or two joined by *: batch*time, batch*hidden, time*hidden)");
        };
    }

    /** Lower-case name: {@code batch}, ..., {@code batch*time}. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '*');
    }

    /** Length of this axis in a [B, T, H] space. */
    public long length(long batch, long steps, long hidden) {
        return switch (this) {
            case BATCH -> batch;
            case TIME -> steps;
            case HIDDEN -> hidden;
            case BATCH_TIME -> batch * steps;
            case BATCH_HIDDEN -> batch * hidden;
            case TIME_HIDDEN -> steps * hidden;
        };
    }

    /** Index along this axis of the flat state index i = (b*T + t)*H + h. */
    long kept(long i, long steps, long hidden) {
        return switch (this) {
            case BATCH -> i / (steps * hidden);
            case TIME -> (i / hidden) % steps;
            case HIDDEN -> i % hidden;
            case BATCH_TIME -> i / hidden;
            case BATCH_HIDDEN -> (i / (steps * hidden)) * hidden + i % hidden;
            case TIME_HIDDEN -> i % (steps * hidden);
        };
    }

    /** Index over the other two axes (the traced ones) of flat state index i. */
    long traced(long i, long steps, long hidden) {
        long h = i % hidden, t = (i / hidden) % steps, b = i / (steps * hidden);
        return switch (this) {
            case BATCH -> t * hidden + h;
            case TIME -> b * hidden + h;
            case HIDDEN -> b * steps + t;
            case BATCH_TIME -> h;
            case BATCH_HIDDEN -> t;
            case TIME_HIDDEN -> b;
        };
    }
}
