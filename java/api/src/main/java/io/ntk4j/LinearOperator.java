package io.ntk4j;

/**
 * A linear map A: R^cols -&gt; R^rows given by its block apply and its adjoint (STYLE.md 1).
 * A block of k vectors is a tensor holding k contiguous vectors (shape [k, ...] with k * cols
 * elements; the output has k * rows elements). Spectral algorithms ({@link io.ntk4j.spectral})
 * take operators, not models.
 *
 * <p>This is ntk4j's one operator type: a session's operators ({@link Session#ntk()}, ...), the
 * algebra's results (adjoint, compose, gram, plus, scale: built and applied in native code) and
 * your own are all {@code LinearOperator}s. Implement it in Java, Kotlin or Scala to analyse an
 * operator ntk4j does not know: native algorithms reach it through an FFM upcall.
 *
 * <p><b>Ownership: nothing needs closing.</b> A session's operators belong to the session (they
 * stop working when it closes); what the algebra builds holds native memory that is released when
 * the operator becomes unreachable. {@link #close()} releases it early (idempotent; afterwards the
 * operator throws {@link IllegalStateException}); for the others it does nothing. It is there so
 * that try-with-resources, Kotlin's {@code use} and Scala's {@code Using} can bound a large
 * composition's lifetime.
 *
 * {@snippet :
 * // A diagonal operator written in Java; its top eigenvalues by native block Lanczos.
 * LinearOperator diag = LinearOperator.symmetric(1000, (in, out) -> {
 *   for (long i = 0; i < in.size(); i++) out.setFlat(i, (i % 1000 + 1) * in.getFlat(i));
 * });
 * EigenResult top = Eigs.top(diag, EigsOptions.top(5));   // 1000, 999, 998, 997, 996
 * }
 */
public interface LinearOperator extends AutoCloseable {
    /** Output dimension. */
    long rows();

    /** Input dimension. */
    long cols();

    /** True if A = A*. */
    default boolean isSymmetric() {
        return false;
    }

    /** out = A in, for a block of k = in.size() / cols() vectors. */
    void apply(Tensor in, Tensor out);

    /** out = A* in, for a block of k = in.size() / rows() vectors. */
    void applyAdjoint(Tensor in, Tensor out);

    /**
     * The shape of A in for the block {@code in}: {@code [rows]} for one vector given as
     * {@code [cols]}, else {@code [k, rows]}. A session's operators keep their structure
     * ([k, B, T, H] for a block [k, B, T, H]).
     */
    default long[] outputShapeFor(Tensor in) {
        long c = cols();
        if (in.size() == 0 || in.size() % c != 0) {
            throw new InvalidInputException(
                    this + ": input of " + in.size() + " elements is not a block of vectors of length " + c);
        }
        long k = in.size() / c;
        return k == 1 && in.rank() == 1 ? new long[] {rows()} : new long[] {k, rows()};
    }

    /** A new tensor of {@code arena} holding A in (shaped by {@link #outputShapeFor}). */
    default Tensor apply(Tensor in, java.lang.foreign.Arena arena) {
        Tensor out = Tensor.allocate(arena, outputShapeFor(in));
        apply(in, out);
        return out;
    }

    /** A* (native). */
    default LinearOperator adjoint() {
        return NativeOperator.with(this, NativeOperator::adjoint);
    }

    /** A B, B applied first (native). */
    default LinearOperator compose(LinearOperator b) {
        return NativeOperator.with(this, a -> a.compose(b));
    }

    /** A A* (symmetric positive semi-definite; native). */
    default LinearOperator gram() {
        return NativeOperator.with(this, NativeOperator::gram);
    }

    /** A + B (native). */
    default LinearOperator plus(LinearOperator b) {
        return NativeOperator.with(this, a -> a.plus(b));
    }

    /** alpha A (native). */
    default LinearOperator scale(double alpha) {
        return NativeOperator.with(this, a -> a.scale(alpha));
    }

    /**
     * R A R* (A = this, square; native): symmetric when A is, so that the eigen-solvers take it as
     * it is. The output NTK is one: (I &#8855; W_out) NTK_S (I &#8855; W_out)*.
     */
    default LinearOperator congruence(LinearOperator r) {
        return NativeOperator.with(this, a -> a.congruence(r));
    }

    /**
     * I_left &#8855; A &#8855; I_right for {@code a} row-major {@code rows x cols} (copied; native,
     * GEMM-shaped), on blocks [k, left, cols, right] -&gt; [k, left, rows, right]: with right = 1,
     * A applied to every row of a [left, cols] layout (a readout on every step of [B*T, H]); with
     * left = 1, A mixing the rows of a [cols, right] one.
     */
    static LinearOperator kronecker(long left, double[] a, int rows, int cols, long right) {
        return NativeOperator.kronecker(left, a, rows, cols, right);
    }

    /**
     * The dense matrix of this operator, row-major {@code rows x cols}, from block applies on the
     * identity (cols applies): for small operators and tests. Refused above 2^27 entries (1 GiB).
     */
    default double[] toDense() {
        long m = rows(), n = cols();
        if (m * n > (1L << 27)) {
            throw new InvalidInputException(
                    this + ": a dense " + m + " x " + n + " matrix is too large (at most 2^27 entries)");
        }
        double[] out = new double[Math.toIntExact(m * n)];
        int block = (int) Math.min(n, 256);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            for (long j0 = 0; j0 < n; j0 += block) {
                int k = (int) Math.min(block, n - j0);
                Tensor e = Tensor.allocate(arena, k, n), ae = Tensor.allocate(arena, k, m);
                for (int j = 0; j < k; j++) {
                    e.setFlat(j * n + j0 + j, 1.0);
                }
                apply(e, ae);
                for (int j = 0; j < k; j++) {
                    for (long i = 0; i < m; i++) {
                        out[Math.toIntExact(i * n + j0 + j)] = ae.getFlat(j * m + i);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Releases what this operator holds before it becomes unreachable (see the class doc); a no-op
     * unless the operator was built by the algebra.
     */
    @Override
    default void close() {}

    /** A block function: writes the image of {@code in} into {@code out}. */
    @FunctionalInterface
    interface BlockFunction {
        void apply(Tensor in, Tensor out);
    }

    /** A symmetric operator of dimension n from one block function. */
    static LinearOperator symmetric(long n, BlockFunction apply) {
        return of(n, n, apply, apply, true);
    }

    /** An operator from its apply and adjoint block functions. */
    static LinearOperator of(long rows, long cols, BlockFunction apply, BlockFunction adjoint) {
        return of(rows, cols, apply, adjoint, false);
    }

    private static LinearOperator of(
            long rows, long cols, BlockFunction apply, BlockFunction adjoint, boolean symmetric) {
        if (rows <= 0 || cols <= 0) {
            throw new InvalidInputException("operator shape must be positive, got " + rows + " x " + cols);
        }
        return new LinearOperator() {
            @Override
            public long rows() {
                return rows;
            }

            @Override
            public long cols() {
                return cols;
            }

            @Override
            public boolean isSymmetric() {
                return symmetric;
            }

            @Override
            public void apply(Tensor in, Tensor out) {
                apply.apply(in, out);
            }

            @Override
            public void applyAdjoint(Tensor in, Tensor out) {
                adjoint.apply(in, out);
            }

            @Override
            public String toString() {
                return "LinearOperator(" + rows + " x " + cols + (symmetric ? ", symmetric" : "") + ")";
            }
        };
    }
}
