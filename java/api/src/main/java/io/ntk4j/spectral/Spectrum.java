package io.ntk4j.spectral;

/**
 * Defaults shared by the spectral API and the {@code spectrum} command.
 *
 * {@snippet :
 * TraceEstimates t = Traces.estimate(session.ntk(), Spectrum.DEFAULT_PROBES, Spectrum.DEFAULT_SEED);
 * }
 */
public final class Spectrum {
    private Spectrum() {}

    /** Hutch++ probes for effective-rank estimates. */
    public static final long DEFAULT_PROBES = 300;
    /** Random-sign probe blocks per axis for partial effective dimension estimates. */
    public static final long DEFAULT_SAMPLES = 64;
    /** Rank of the range sketch deflated exactly in partial effective dimension estimates. */
    public static final long DEFAULT_DEFLATION = 64;
    /** Seed of every randomized estimate unless given. */
    public static final long DEFAULT_SEED = EigsOptions.DEFAULT_SEED;
}
