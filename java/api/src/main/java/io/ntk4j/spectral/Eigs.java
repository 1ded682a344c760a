package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.NativeOperator;
import io.ntk4j.Tensor;
import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_eigs_info;
import io.ntk4j.internal.ffi.ntk4j_eigs_options;
import io.ntk4j.internal.ffi.ntk4j_estimate;
import io.ntk4j.internal.ffi.ntk4j_rank_estimates;
import io.ntk4j.internal.ffi.ntk4j_rank_options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Spectra of symmetric operators, matrix-free (randomized block Lanczos in the native core) or
 * exactly (dense LAPACK, for small operators), and the traces and effective ranks built on them
 * (DESIGN.md, "Spectral quantities").
 *
 * {@snippet :
 * try (Session s = Session.open(model, inputs)) {
 *   EigenResult top = Eigs.top(s.ntk(), EigsOptions.top(10).withVectors(true));
 *   RankEstimates r = Eigs.ranks(s.ntk(), top.vectors(), s.batch(), s.steps(), s.hiddenSize(),
 *       RankOptions.defaults());                               // exact on top, sampled to 1 %
 *   TraceEstimates pr = Eigs.traces(s.ntk(), 300, 1);            // plain Hutch++, 300 probes
 *   PartialEffectiveDims d = Eigs.partialEffectiveDims(s.ntk(), s.batch(), s.steps(),
 *       s.hiddenSize(), Reduction.TRUE_PARTIAL_TRACE, true, 0, 0, 1);   // exact
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
    return NativeOperator.with(a, op -> {
      if (o.k() > op.rows()) {
        throw new InvalidInputException("k = " + o.k() + " eigenpairs requested but " + op + " has dimension " + op.rows());
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
          vectors = Tensor.allocate(vecArena, o.k(), op.rows());
        }
        MemorySegment info = ntk4j_eigs_info.allocate(tmp);
        MemorySegment vec = vectors == null ? MemorySegment.NULL : vectors.segment();
        checkOp(gram ? Ntk4jNative.ntk4j_eigs_gram(op.handle(), opts, values, residuals, vec, info)
            : Ntk4jNative.ntk4j_eigs(op.handle(), opts, values, residuals, vec, info), "eigenvalues of " + op);
        return new EigenResult(values.toArray(ValueLayout.JAVA_DOUBLE), residuals.toArray(ValueLayout.JAVA_DOUBLE),
            vectors, (int) ntk4j_eigs_info.converged(info), ntk4j_eigs_info.block_applies(info),
            ntk4j_eigs_info.vector_applies(info), ntk4j_eigs_info.restarts(info), (int) ntk4j_eigs_info.block(info),
            (int) ntk4j_eigs_info.basis(info));
      }
    });
  }

  /**
   * Top-k singular triplets of any operator by randomized SVD with power iterations
   * (Halko-Martinsson-Tropp); {@code o.block()} is the oversampling and {@code o.maxRestarts()}
   * the maximum number of power iterations (0 = defaults 10 and 50).
   */
  public static SvdResult svd(LinearOperator a, EigsOptions o) {
    return NativeOperator.with(a, op -> {
      if (o.k() > Math.min(op.rows(), op.cols())) {
        throw new InvalidInputException("k = " + o.k() + " singular triplets requested but " + op + " is "
            + op.rows() + " x " + op.cols());
      }
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment opts = ntk4j_eigs_options.allocate(tmp);
        ntk4j_eigs_options.k(opts, o.k());
        ntk4j_eigs_options.tol(opts, o.tol());
        ntk4j_eigs_options.block(opts, o.block());
        ntk4j_eigs_options.max_restarts(opts, o.maxRestarts());
        ntk4j_eigs_options.seed(opts, o.seed());
        MemorySegment values = tmp.allocate(ValueLayout.JAVA_DOUBLE, o.k());
        MemorySegment residuals = tmp.allocate(ValueLayout.JAVA_DOUBLE, o.k());
        Tensor u = null, v = null;
        if (o.vectors()) {
          Arena vecArena = Arena.ofAuto();
          u = Tensor.allocate(vecArena, o.k(), op.rows());
          v = Tensor.allocate(vecArena, o.k(), op.cols());
        }
        MemorySegment info = ntk4j_eigs_info.allocate(tmp);
        checkOp(Ntk4jNative.ntk4j_svds(op.handle(), opts, values, residuals,
            u == null ? MemorySegment.NULL : u.segment(), v == null ? MemorySegment.NULL : v.segment(), info),
            "singular values of " + op);
        return new SvdResult(values.toArray(ValueLayout.JAVA_DOUBLE), residuals.toArray(ValueLayout.JAVA_DOUBLE),
            u, v, (int) ntk4j_eigs_info.converged(info), ntk4j_eigs_info.vector_applies(info),
            ntk4j_eigs_info.restarts(info));
      }
    });
  }

  /** All eigenvalues (descending) of a symmetric operator, exactly (dense LAPACK, n &lt;= 20000). */
  public static double[] exact(LinearOperator a) {
    return NativeOperator.with(a, op -> {
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment values = tmp.allocate(ValueLayout.JAVA_DOUBLE, op.rows());
        checkOp(Ntk4jNative.ntk4j_eigs_dense(op.handle(), values, op.rows(), MemorySegment.NULL),
            "exact eigenvalues of " + op);
        return values.toArray(ValueLayout.JAVA_DOUBLE);
      }
    });
  }

  /** Hutch++ estimates of tr A, tr A^2 and PR(A) from {@code probes} applies. */
  public static TraceEstimates traces(LinearOperator a, long probes, long seed) {
    return NativeOperator.with(a, op -> {
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment t1 = ntk4j_estimate.allocate(tmp), t2 = ntk4j_estimate.allocate(tmp),
            pr = ntk4j_estimate.allocate(tmp);
        checkOp(Ntk4jNative.ntk4j_trace_estimate(op.handle(), probes, seed, t1, t2, pr), "trace estimate of " + op);
        return new TraceEstimates(estimate(t1), estimate(t2), estimate(pr));
      }
    });
  }

  /**
   * Frobenius norm ||A||_F = sqrt(tr(A A*)) of any operator, by Hutch++ on its Gram with
   * {@code probes} applies; the standard error is propagated from the trace's.
   */
  public static Estimate frobeniusNorm(LinearOperator a, long probes, long seed) {
    return NativeOperator.with(a, op -> {
      try (NativeOperator g = op.gram()) {
        Estimate t = traces(g, probes, seed).trace();
        double v = Math.sqrt(Math.max(t.value(), 0));
        return new Estimate(v, v > 0 ? t.stdError() / (2 * v) : 0, t.applies());
      }
    });
  }

  /**
   * kpflow's effective rank of a symmetric A: its {@code effdim} squares the operator first, so
   * it is PR(A^2) = (tr A^2)^2 / tr(A^4) (DESIGN.md); estimated by Hutch++ on A^2.
   */
  public static Estimate effectiveRankKpflow(LinearOperator a, long probes, long seed) {
    return NativeOperator.with(a, op -> {
      try (NativeOperator sq = op.compose(op)) {
        return traces(sq, probes, seed).effectiveRank();
      }
    });
  }

  /** tr A, tr A^2 and PR(A) exactly (dense, n &lt;= 20000). */
  public static TraceEstimates exactTraces(LinearOperator a) {
    return NativeOperator.with(a, op -> {
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment v = tmp.allocate(ValueLayout.JAVA_DOUBLE, 3);
        checkOp(Ntk4jNative.ntk4j_trace_exact(op.handle(), v, v.asSlice(8), v.asSlice(16)), "exact traces of " + op);
        return new TraceEstimates(new Estimate(v.getAtIndex(ValueLayout.JAVA_DOUBLE, 0), 0, op.rows()),
            new Estimate(v.getAtIndex(ValueLayout.JAVA_DOUBLE, 1), 0, op.rows()),
            new Estimate(v.getAtIndex(ValueLayout.JAVA_DOUBLE, 2), 0, op.rows()));
      }
    });
  }

  /**
   * Partial effective dimensions of an operator on [B, T, H] for the kept axes batch, time and
   * hidden: G = A A* reduced by {@code reduction}, then (tr M)^2 / ||M||_F^2. Exact (dense) or
   * estimated: the part of G on a {@code deflation}-dimensional sketch of A's dominant range is
   * reduced exactly and the rest sampled with {@code samples} random-sign probe blocks per axis
   * (the kpflow reduction is exact either way).
   */
  public static PartialEffectiveDims partialEffectiveDims(LinearOperator a, long batch, long steps, long hidden,
      Reduction reduction, boolean exact, long samples, long deflation, long seed) {
    return NativeOperator.with(a, op -> {
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment out = ntk4j_estimate.allocateArray(3, tmp);
        checkOp(Ntk4jNative.ntk4j_partial_effdims(op.handle(), batch, steps, hidden, reduction.code(),
            exact ? 1 : 0, samples, deflation, seed, out), "partial effective dimensions of " + op);
        return new PartialEffectiveDims(reduction, estimate(ntk4j_estimate.asSlice(out, 0)),
            estimate(ntk4j_estimate.asSlice(out, 1)), estimate(ntk4j_estimate.asSlice(out, 2)));
      }
    });
  }

  /**
   * Effective ranks and true partial effective dimensions with error control: the moments of
   * A A* are exact on the span of {@code basis} ([c, n]: e.g. {@link EigenResult#vectors()} of the
   * top eigenpairs; null for none) and sampled for the rest until each requested estimate's
   * standard error is at most {@code o.accuracy()} of its value or {@code o.maxSamples()} probes
   * were drawn. {@code batch, steps, hidden} are the axes of A's range (used when
   * {@code o.partial()}).
   */
  public static RankEstimates ranks(LinearOperator a, Tensor basis, long batch, long steps, long hidden,
      RankOptions o) {
    return NativeOperator.with(a, op -> {
      if (basis != null && (basis.rank() != 2 || basis.dim(1) != op.cols())) {
        throw new InvalidInputException("deflation basis must have shape [c, " + op.cols() + "], got "
            + java.util.Arrays.toString(basis.shape()));
      }
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment opts = ntk4j_rank_options.allocate(tmp);
        ntk4j_rank_options.accuracy(opts, o.accuracy());
        ntk4j_rank_options.min_samples(opts, o.minSamples());
        ntk4j_rank_options.max_samples(opts, o.maxSamples());
        ntk4j_rank_options.seed(opts, o.seed());
        ntk4j_rank_options.traces(opts, o.traces() ? 1 : 0);
        ntk4j_rank_options.partial(opts, o.partial() ? 1 : 0);
        ntk4j_rank_options.partial_kpflow(opts, o.partialKpflow() ? 1 : 0);
        ntk4j_rank_options.batch(opts, batch);
        ntk4j_rank_options.steps(opts, steps);
        ntk4j_rank_options.hidden(opts, hidden);
        MemorySegment out = ntk4j_rank_estimates.allocate(tmp);
        checkOp(Ntk4jNative.ntk4j_rank_estimate(op.handle(), basis == null ? MemorySegment.NULL : basis.segment(),
            basis == null ? 0 : basis.dim(0), opts, out), "effective ranks of " + op);
        MemorySegment dims = ntk4j_rank_estimates.partial_dims(out);
        PartialEffectiveDims pd = o.partial() ? new PartialEffectiveDims(Reduction.TRUE_PARTIAL_TRACE,
            estimate(ntk4j_estimate.asSlice(dims, 0)), estimate(ntk4j_estimate.asSlice(dims, 1)),
            estimate(ntk4j_estimate.asSlice(dims, 2))) : null;
        MemorySegment kd = ntk4j_rank_estimates.partial_dims_kpflow(out);
        PartialEffectiveDims pk = o.partialKpflow() ? new PartialEffectiveDims(Reduction.KPFLOW,
            estimate(ntk4j_estimate.asSlice(kd, 0)), estimate(ntk4j_estimate.asSlice(kd, 1)),
            estimate(ntk4j_estimate.asSlice(kd, 2))) : null;
        boolean t = o.traces();
        return new RankEstimates(t ? estimate(ntk4j_rank_estimates.trace(out)) : null,
            t ? estimate(ntk4j_rank_estimates.trace_of_square(out)) : null,
            t ? estimate(ntk4j_rank_estimates.trace_of_fourth(out)) : null,
            t ? estimate(ntk4j_rank_estimates.effective_rank(out)) : null,
            t ? estimate(ntk4j_rank_estimates.effective_rank_kpflow(out)) : null, pd, pk,
            ntk4j_rank_estimates.samples(out), ntk4j_rank_estimates.applies(out), ntk4j_rank_estimates.deflation(out),
            ntk4j_rank_estimates.accuracy_met(out) != 0, ntk4j_rank_estimates.worst_relative_error(out));
      }
    });
  }

  private static Estimate estimate(MemorySegment e) {
    return new Estimate(ntk4j_estimate.value(e), ntk4j_estimate.std_error(e), ntk4j_estimate.applies(e));
  }

  private static void checkOp(int status, String what) {
    io.ntk4j.internal.NativeLibrary.check(status, what);
  }
}
