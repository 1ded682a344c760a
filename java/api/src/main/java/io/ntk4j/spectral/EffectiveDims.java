package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.NativeHandle;
import io.ntk4j.Tensor;
import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_estimate;
import io.ntk4j.internal.ffi.ntk4j_rank_estimates;
import io.ntk4j.internal.ffi.ntk4j_rank_options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Effective ranks and partial effective dimensions over batch, time and hidden (DESIGN.md,
 * "Spectral quantities"): with error control on top of an eigen-solve ({@link #ranks}), or with a
 * fixed probe budget or exactly ({@link #partial}).
 */
public final class EffectiveDims {
    private EffectiveDims() {}

    /**
     * Partial effective dimensions of an operator on [B, T, H] for the kept axes batch, time and
     * hidden: G = A A* reduced by {@code reduction}, then (tr M)^2 / ||M||_F^2. Exact (dense) or
     * estimated: the part of G on a {@code deflation}-dimensional sketch of A's dominant range is
     * reduced exactly and the rest sampled with {@code samples} random-sign probe blocks per axis
     * (the kpflow reduction is exact either way).
     */
    public static PartialEffectiveDims partial(
            LinearOperator a,
            long batch,
            long steps,
            long hidden,
            Reduction reduction,
            boolean exact,
            long samples,
            long deflation,
            long seed) {
        return NativeHandle.with(a, h -> {
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment out = ntk4j_estimate.allocateArray(3, tmp);
                Eigs.checkOp(
                        Ntk4jNative.ntk4j_partial_effdims(
                                h,
                                batch,
                                steps,
                                hidden,
                                reduction.code(),
                                exact ? 1 : 0,
                                samples,
                                deflation,
                                seed,
                                out),
                        "partial effective dimensions of " + a);
                return new PartialEffectiveDims(
                        reduction,
                        Estimate.fromNative(ntk4j_estimate.asSlice(out, 0)),
                        Estimate.fromNative(ntk4j_estimate.asSlice(out, 1)),
                        Estimate.fromNative(ntk4j_estimate.asSlice(out, 2)));
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
    public static RankEstimates ranks(
            LinearOperator a, Tensor basis, long batch, long steps, long hidden, RankOptions o) {
        return NativeHandle.with(a, h -> {
            if (basis != null && (basis.rank() != 2 || basis.dim(1) != a.cols())) {
                throw new InvalidInputException("deflation basis must have shape [c, " + a.cols() + "], got "
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
                Eigs.checkOp(
                        Ntk4jNative.ntk4j_rank_estimate(
                                h,
                                basis == null ? MemorySegment.NULL : basis.segment(),
                                basis == null ? 0 : basis.dim(0),
                                opts,
                                out),
                        "effective ranks of " + a);
                MemorySegment dims = ntk4j_rank_estimates.partial_dims(out);
                PartialEffectiveDims pd = o.partial()
                        ? new PartialEffectiveDims(
                                Reduction.TRUE_PARTIAL_TRACE,
                                Estimate.fromNative(ntk4j_estimate.asSlice(dims, 0)),
                                Estimate.fromNative(ntk4j_estimate.asSlice(dims, 1)),
                                Estimate.fromNative(ntk4j_estimate.asSlice(dims, 2)))
                        : null;
                MemorySegment kd = ntk4j_rank_estimates.partial_dims_kpflow(out);
                PartialEffectiveDims pk = o.partialKpflow()
                        ? new PartialEffectiveDims(
                                Reduction.KPFLOW,
                                Estimate.fromNative(ntk4j_estimate.asSlice(kd, 0)),
                                Estimate.fromNative(ntk4j_estimate.asSlice(kd, 1)),
                                Estimate.fromNative(ntk4j_estimate.asSlice(kd, 2)))
                        : null;
                boolean t = o.traces();
                return new RankEstimates(
                        t ? Estimate.fromNative(ntk4j_rank_estimates.trace(out)) : null,
                        t ? Estimate.fromNative(ntk4j_rank_estimates.trace_of_square(out)) : null,
                        t ? Estimate.fromNative(ntk4j_rank_estimates.trace_of_fourth(out)) : null,
                        t ? Estimate.fromNative(ntk4j_rank_estimates.effective_rank(out)) : null,
                        t ? Estimate.fromNative(ntk4j_rank_estimates.effective_rank_kpflow(out)) : null,
                        pd,
                        pk,
                        ntk4j_rank_estimates.samples(out),
                        ntk4j_rank_estimates.applies(out),
                        ntk4j_rank_estimates.deflation(out),
                        ntk4j_rank_estimates.accuracy_met(out) != 0,
                        ntk4j_rank_estimates.worst_relative_error(out));
            }
        });
    }
}
