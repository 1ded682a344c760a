package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;

/**
 * Options of {@link Svd#top}: how many singular triplets, the oversampling of the random sketch,
 * the most power iterations, the residual tolerance (relative to the largest singular value), the
 * seed, and whether the singular vectors are returned. Every value is taken as it is
 * ({@code maxIterations} 0: no power iteration).
 *
 * {@snippet :
 * SvdResult top = Svd.top(session.P(), SvdOptions.top(5).withMaxIterations(100));
 * }
 */
public record SvdOptions(int k, int oversample, int maxIterations, double tol, long seed, boolean vectors) {
    /** ntk4j_svds_options_init's oversampling and power iterations (OptionDefaultsTest ties them). */
    public static final int DEFAULT_OVERSAMPLE = 10, DEFAULT_MAX_ITERATIONS = 50;

    public SvdOptions {
        if (k <= 0) {
            throw new InvalidInputException("number of singular triplets k must be > 0, got " + k);
        }
        if (oversample < 0 || maxIterations < 0) {
            throw new InvalidInputException(
                    "oversample and maxIterations must be >= 0, got " + oversample + " and " + maxIterations);
        }
        if (!(tol > 0)) {
            throw new InvalidInputException("tolerance must be > 0, got " + tol);
        }
    }

    /** The top k triplets with the defaults (tolerance {@link EigsOptions#DEFAULT_TOL}, no vectors). */
    public static SvdOptions top(int k) {
        return new SvdOptions(
                k,
                DEFAULT_OVERSAMPLE,
                DEFAULT_MAX_ITERATIONS,
                EigsOptions.DEFAULT_TOL,
                EigsOptions.DEFAULT_SEED,
                false);
    }

    public SvdOptions withOversample(int p) {
        return new SvdOptions(k, p, maxIterations, tol, seed, vectors);
    }

    public SvdOptions withMaxIterations(int n) {
        return new SvdOptions(k, oversample, n, tol, seed, vectors);
    }

    public SvdOptions withTol(double t) {
        return new SvdOptions(k, oversample, maxIterations, t, seed, vectors);
    }

    public SvdOptions withSeed(long s) {
        return new SvdOptions(k, oversample, maxIterations, tol, s, vectors);
    }

    public SvdOptions withVectors(boolean v) {
        return new SvdOptions(k, oversample, maxIterations, tol, seed, v);
    }
}
