package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.NativeHandle;
import io.ntk4j.Tensor;
import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_eigs_info;
import io.ntk4j.internal.ffi.ntk4j_eigs_options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Eigenpairs of symmetric operators, matrix-free (Lanczos in the native core) or exactly (dense
 * LAPACK, for small operators). The other spectral quantities have their own classes: singular
 * triplets {@link Svd}, traces and norms {@link Traces}, effective ranks and partial effective
 * dimensions {@link EffectiveDims} (DESIGN.md, "Spectral quantities").
 *
 * {@snippet :
 * try (Session s = Session.open(model, inputs)) {
 *   EigenResult top = Eigs.top(s.ntk(), EigsOptions.top(10).withVectors(true));
 *   RankEstimates r = EffectiveDims.ranks(s.ntk(), top.vectors(), s.batch(), s.steps(), s.hiddenSize(),
 *       RankOptions.defaults());                               // exact on top, sampled to 1 %
 * }
 * }
 */
public final class Eigs {
    private Eigs() {}

    /**
     * Top-k eigenpairs of a symmetric operator by Lanczos. With the default block (0): single-vector
     * Lanczos followed by a completeness check on the deflated operator, the block grown only when
     * the check finds a missed eigenvalue (every copy of a repeated eigenvalue is found); an explicit
     * {@link EigsOptions#withBlock block} is taken as given, without the check.
     */
    public static EigenResult top(LinearOperator a, EigsOptions o) {
        return lanczos(a, o, false, null);
    }

    /**
     * Top-k eigenpairs warm-started from {@code start} ([c, n]: c vectors of length n, e.g. the
     * {@link EigenResult#vectors()} of a previous solve on a nearby operator): they open the first
     * block (of width max(block, c)). When they already span a converged invariant subspace the
     * solve costs one block apply; otherwise Lanczos continues from them.
     *
     * {@snippet :
     * EigenResult previous = Eigs.top(g, EigsOptions.top(4).withVectors(true));
     * // ... g changes a little (a training step) ...
     * EigenResult next = Eigs.top(g, EigsOptions.top(4).withVectors(true), previous.vectors());
     * }
     */
    public static EigenResult top(LinearOperator a, EigsOptions o, Tensor start) {
        if (start != null && (start.rank() != 2 || start.dim(1) != a.cols() || start.dim(0) < 1)) {
            throw new InvalidInputException("start vectors must have shape [c >= 1, " + a.cols() + "], got "
                    + java.util.Arrays.toString(start.shape()));
        }
        return lanczos(a, o, false, start);
    }

    /**
     * Top-k eigenpairs of the Gram operator A A* of any operator A, by block Lanczos on the smaller
     * of A A* and A* A (the same nonzero eigenvalues): NTK_S = J J^T with J = P J_theta, or
     * K = J_theta J_theta^T, in parameter space when there are fewer parameters than states.
     * Eigenvectors and residuals are those of A A*.
     *
     * {@snippet :
     * try (LinearOperator j = session.P().compose(session.jtheta())) {
     *   EigenResult ntkTop = Eigs.topOfGram(j, EigsOptions.top(10));   // eigenvalues of NTK_S
     * }
     * }
     */
    public static EigenResult topOfGram(LinearOperator a, EigsOptions o) {
        return lanczos(a, o, true, null);
    }

    private static EigenResult lanczos(LinearOperator a, EigsOptions o, boolean gram, Tensor start) {
        return NativeHandle.with(a, h -> {
            if (o.k() > a.rows()) {
                throw new InvalidInputException(
                        "k = " + o.k() + " eigenpairs requested but " + a + " has dimension " + a.rows());
            }
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment opts = ntk4j_eigs_options.allocate(tmp);
                ntk4j_eigs_options.k(opts, o.k());
                ntk4j_eigs_options.tol(opts, o.tol());
                ntk4j_eigs_options.block(opts, o.block());
                ntk4j_eigs_options.max_basis(opts, o.maxBasis());
                ntk4j_eigs_options.max_restarts(opts, o.maxRestarts());
                ntk4j_eigs_options.seed(opts, o.seed());
                if (start != null) {
                    ntk4j_eigs_options.start(opts, start.segment());
                    ntk4j_eigs_options.start_cols(opts, start.dim(0));
                }
                MemorySegment values = tmp.allocate(ValueLayout.JAVA_DOUBLE, o.k());
                MemorySegment residuals = tmp.allocate(ValueLayout.JAVA_DOUBLE, o.k());
                Tensor vectors = null;
                Arena vecArena = null;
                if (o.vectors()) {
                    vecArena = Arena.ofAuto();
                    vectors = Tensor.allocate(vecArena, o.k(), a.rows());
                }
                MemorySegment info = ntk4j_eigs_info.allocate(tmp);
                MemorySegment vec = vectors == null ? MemorySegment.NULL : vectors.segment();
                checkOp(
                        gram
                                ? Ntk4jNative.ntk4j_eigs_gram(h, opts, values, residuals, vec, info)
                                : Ntk4jNative.ntk4j_eigs(h, opts, values, residuals, vec, info),
                        "eigenvalues of " + a);
                return new EigenResult(
                        values.toArray(ValueLayout.JAVA_DOUBLE),
                        residuals.toArray(ValueLayout.JAVA_DOUBLE),
                        vectors,
                        (int) ntk4j_eigs_info.converged(info),
                        ntk4j_eigs_info.block_applies(info),
                        ntk4j_eigs_info.vector_applies(info),
                        ntk4j_eigs_info.restarts(info),
                        (int) ntk4j_eigs_info.block(info),
                        (int) ntk4j_eigs_info.basis(info));
            }
        });
    }

    /** All eigenvalues (descending) of a symmetric operator, exactly (dense LAPACK, n &lt;= 20000). */
    public static double[] exact(LinearOperator a) {
        return NativeHandle.with(a, h -> {
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment values = tmp.allocate(ValueLayout.JAVA_DOUBLE, a.rows());
                checkOp(
                        Ntk4jNative.ntk4j_eigs_dense(h, values, a.rows(), MemorySegment.NULL),
                        "exact eigenvalues of " + a);
                return values.toArray(ValueLayout.JAVA_DOUBLE);
            }
        });
    }

    /**
     * The top {@code k} eigenvectors of a symmetric operator, exactly (dense LAPACK, n &lt;= 20000),
     * as a [k, n] tensor of {@code arena} (row i = eigenvector i, by descending eigenvalue).
     */
    public static Tensor exactVectors(LinearOperator a, int k, Arena arena) {
        long n = a.rows();
        if (k <= 0 || k > n) {
            throw new io.ntk4j.InvalidInputException("k must be in [1, " + n + "], got " + k);
        }
        if (n * n > (1L << 28)) {
            throw new io.ntk4j.InvalidInputException(
                    a + ": dense eigenvectors of dimension " + n + " would take " + (8 * n * n >> 20) + " MiB");
        }
        return NativeHandle.with(a, h -> {
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment values = tmp.allocate(ValueLayout.JAVA_DOUBLE, n);
                MemorySegment vectors = tmp.allocate(ValueLayout.JAVA_DOUBLE, n * n);
                checkOp(Ntk4jNative.ntk4j_eigs_dense(h, values, n, vectors), "exact eigenvectors of " + a);
                Tensor out = Tensor.allocate(arena, k, n);
                MemorySegment.copy(vectors, 0, out.segment(), 0, (long) k * n * Double.BYTES);
                return out;
            }
        });
    }

    static void checkOp(int status, String what) {
        io.ntk4j.NativeLibrary.check(status, what);
    }
}
