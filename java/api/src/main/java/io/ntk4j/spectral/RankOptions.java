package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;

/**
 * Options of {@link EffectiveDims#ranks}: the target accuracy (standard error relative to each estimate),
 * the sampling budget, the seed, and what to estimate (the effective ranks of a symmetric operator,
 * the true partial effective dimensions over the axes of a [B, T, H] range, or both).
 *
 * {@snippet :
 * RankOptions o = RankOptions.defaults().withAccuracy(0.001).withMaxSamples(100_000);
 * }
 *
 * @param accuracy target relative standard error, in (0, 1); default {@value #DEFAULT_ACCURACY}
 * @param minSamples probes drawn at least (&gt;= 8); default 64
 * @param maxSamples sampling budget (&gt;= minSamples); reached, the estimates come back with
 *     {@link RankEstimates#accuracyMet()} false
 * @param seed seed of the probes
 * @param traces estimate tr A, tr A^2, tr A^4, PR(A) and kpflow's PR(A^2) (symmetric A only)
 * @param partial estimate the partial effective dimensions (true partial trace of A A*)
 * @param partialKpflow estimate them with kpflow's broadcast-reduce as well, from the same probes
 *     (each gives a rank-one sample of the reduced matrix: on large models this needs thousands
 *     of probes, where {@link EffectiveDims#partial} computes them exactly with B + T + H applies)
 */
public record RankOptions(
        double accuracy,
        long minSamples,
        long maxSamples,
        long seed,
        boolean traces,
        boolean partial,
        boolean partialKpflow) {
    /** Default target relative standard error: 1 %. */
    public static final double DEFAULT_ACCURACY = 0.01;
    /** Default sampling budget. */
    public static final long DEFAULT_MAX_SAMPLES = 4096;
    /** Default least number of probes (these defaults are ntk4j_rank_options_init's; OptionDefaultsTest). */
    public static final long DEFAULT_MIN_SAMPLES = 64;

    public RankOptions {
        if (!(accuracy > 0 && accuracy < 1)) {
            throw new InvalidInputException("accuracy (a relative standard error) must be in (0, 1), got " + accuracy);
        }
        if (minSamples < 8 || maxSamples < minSamples) {
            throw new InvalidInputException(
                    "need 8 <= minSamples <= maxSamples, got " + minSamples + " and " + maxSamples);
        }
        if (!traces && !partial && !partialKpflow) {
            throw new InvalidInputException("nothing to estimate: enable traces, partial dimensions or both");
        }
    }

    /** 1 % accuracy, 64 to 4096 probes, the default seed, traces and true partial dimensions. */
    public static RankOptions defaults() {
        return new RankOptions(
                DEFAULT_ACCURACY,
                DEFAULT_MIN_SAMPLES,
                DEFAULT_MAX_SAMPLES,
                EigsOptions.DEFAULT_SEED,
                true,
                true,
                false);
    }

    public RankOptions withAccuracy(double a) {
        return new RankOptions(a, minSamples, maxSamples, seed, traces, partial, partialKpflow);
    }

    public RankOptions withMaxSamples(long m) {
        return new RankOptions(accuracy, Math.min(minSamples, m), m, seed, traces, partial, partialKpflow);
    }

    public RankOptions withSeed(long s) {
        return new RankOptions(accuracy, minSamples, maxSamples, s, traces, partial, partialKpflow);
    }

    public RankOptions withTraces(boolean t) {
        return new RankOptions(accuracy, minSamples, maxSamples, seed, t, partial, partialKpflow);
    }

    public RankOptions withPartialKpflow(boolean p) {
        return new RankOptions(accuracy, minSamples, maxSamples, seed, traces, partial, p);
    }

    public RankOptions withPartial(boolean p) {
        return new RankOptions(accuracy, minSamples, maxSamples, seed, traces, p, partialKpflow);
    }
}
