package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;

/**
 * Options of {@link Eigs#top}: how many eigenpairs, the
 * residual tolerance (relative to the largest eigenvalue's or singular value's magnitude), block
 * size (for the SVD: oversampling), basis size, restarts (for the SVD: power iterations), seed,
 * and whether to return vectors. Zeros mean automatic (Lanczos: single-vector with a completeness
 * check, the block grown 4x up to k when it finds a missed eigenvalue; basis max(k + 6 block,
 * 2k + 20); 200 restarts; SVD: oversampling 10, 50 power iterations).
 *
 * {@snippet :
 * EigsOptions o = EigsOptions.top(10).withTol(1e-12).withSeed(7);
 * }
 */
public record EigsOptions(int k, double tol, int block, int maxBasis, int maxRestarts, long seed, boolean vectors) {
    /** Default residual tolerance (ntk4j_eigs_options_init's; OptionDefaultsTest ties them). */
    public static final double DEFAULT_TOL = 1e-10;
    /** Default restarts before giving up (ntk4j_eigs_options_init's). */
    public static final int DEFAULT_MAX_RESTARTS = 200;
    /** The seed of every randomized step when none is given: the header's NTK4J_DEFAULT_SEED. */
    public static final long DEFAULT_SEED = io.ntk4j.internal.ffi.Ntk4jNative.NTK4J_DEFAULT_SEED();

    public EigsOptions {
        if (k <= 0) {
            throw new InvalidInputException("number of eigenpairs k must be > 0, got " + k);
        }
        if (!(tol > 0) || !Double.isFinite(tol)) {
            throw new InvalidInputException("tolerance must be a finite number > 0, got " + tol);
        }
        if (block < 0 || maxBasis < 0) {
            throw new InvalidInputException(
                    "block and maxBasis must be >= 0 (0: their automatic modes), got " + block + " and " + maxBasis);
        }
        if (maxRestarts < 1) {
            throw new InvalidInputException("maxRestarts must be >= 1, got " + maxRestarts);
        }
    }

    /** The top k eigenpairs with default settings. */
    public static EigsOptions top(int k) {
        return new EigsOptions(k, DEFAULT_TOL, 0, 0, DEFAULT_MAX_RESTARTS, DEFAULT_SEED, false);
    }

    public EigsOptions withTol(double t) {
        return new EigsOptions(k, t, block, maxBasis, maxRestarts, seed, vectors);
    }

    public EigsOptions withBlock(int b) {
        return new EigsOptions(k, tol, b, maxBasis, maxRestarts, seed, vectors);
    }

    public EigsOptions withMaxBasis(int m) {
        return new EigsOptions(k, tol, block, m, maxRestarts, seed, vectors);
    }

    public EigsOptions withMaxRestarts(int r) {
        return new EigsOptions(k, tol, block, maxBasis, r, seed, vectors);
    }

    public EigsOptions withSeed(long s) {
        return new EigsOptions(k, tol, block, maxBasis, maxRestarts, s, vectors);
    }

    public EigsOptions withVectors(boolean v) {
        return new EigsOptions(k, tol, block, maxBasis, maxRestarts, seed, v);
    }
}
