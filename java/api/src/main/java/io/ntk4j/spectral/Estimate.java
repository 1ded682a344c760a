package io.ntk4j.spectral;

/**
 * A number with its standard error (0 for exact values) and the vectors applied to get it.
 *
 * {@snippet :
 * Estimate pr = Traces.estimate(session.ntk(), 60, 1).effectiveRank();
 * System.out.printf("%.3f +- %.3f (%d applies)%n", pr.value(), pr.stdError(), pr.applies());
 * }
 */
public record Estimate(double value, double stdError, long applies) {
    /** From the ABI's {@code ntk4j_estimate}. */
    static Estimate fromNative(java.lang.foreign.MemorySegment e) {
        return new Estimate(
                io.ntk4j.internal.ffi.ntk4j_estimate.value(e),
                io.ntk4j.internal.ffi.ntk4j_estimate.std_error(e),
                io.ntk4j.internal.ffi.ntk4j_estimate.applies(e));
    }

    @Override
    public String toString() {
        return stdError == 0 ? Double.toString(value) : value + " ± " + stdError;
    }
}
