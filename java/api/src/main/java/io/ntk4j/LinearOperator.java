package io.ntk4j;

/**
 * A linear map A: R^cols -&gt; R^rows given by its block apply and its adjoint (STYLE.md 1).
 * A block of k vectors is a tensor holding k contiguous vectors (shape [k, ...] with k * cols
 * elements; the output has k * rows elements). Spectral algorithms ({@link io.ntk4j.spectral})
 * take operators, not models.
 *
 * <p>Implement this interface in Java, Kotlin or Scala to analyse an operator ntk4j does not
 * know: it is handed to the native Lanczos through an FFM upcall. The algebra (adjoint, compose,
 * gram, plus, scale) builds {@link NativeOperator}s whose products of native operators run in
 * native code without crossing into Java.
 *
 * {@snippet :
 * // A diagonal operator written in Java; its top eigenvalues by native block Lanczos.
 * LinearOperator diag = LinearOperator.symmetric(1000, (in, out) -> {
 *   for (long i = 0; i < in.size(); i++) out.setFlat(i, (i % 1000 + 1) * in.getFlat(i));
 * });
 * EigenResult top = Eigs.top(diag, EigsOptions.top(5));   // 1000, 999, 998, 997, 996
 * }
 */
public interface LinearOperator {
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

  /** A* (native). */
  default NativeOperator adjoint() {
    return NativeOperator.with(this, NativeOperator::adjoint);
  }

  /** A B, B applied first (native). */
  default NativeOperator compose(LinearOperator b) {
    return NativeOperator.with(this, a -> a.compose(b));
  }

  /** A A* (symmetric positive semi-definite; native). */
  default NativeOperator gram() {
    return NativeOperator.with(this, NativeOperator::gram);
  }

  /** A + B (native). */
  default NativeOperator plus(LinearOperator b) {
    return NativeOperator.with(this, a -> a.plus(b));
  }

  /** alpha A (native). */
  default NativeOperator scale(double alpha) {
    return NativeOperator.with(this, a -> a.scale(alpha));
  }

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

  private static LinearOperator of(long rows, long cols, BlockFunction apply, BlockFunction adjoint,
      boolean symmetric) {
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
