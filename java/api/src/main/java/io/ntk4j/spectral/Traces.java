package io.ntk4j.spectral;

import io.ntk4j.LinearOperator;
import io.ntk4j.NativeHandle;
import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_estimate;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Traces, norms and effective ranks of operators: Hutch++ estimates with errors, or exact (dense). */
public final class Traces {
    private Traces() {}

    /** Hutch++ estimates of tr A, tr A^2 and PR(A) from {@code probes} applies. */
    public static TraceEstimates estimate(LinearOperator a, long probes, long seed) {
        return NativeHandle.with(a, h -> {
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment t1 = ntk4j_estimate.allocate(tmp),
                        t2 = ntk4j_estimate.allocate(tmp),
                        pr = ntk4j_estimate.allocate(tmp);
                Eigs.checkOp(Ntk4jNative.ntk4j_trace_estimate(h, probes, seed, t1, t2, pr), "trace estimate of " + a);
                return new TraceEstimates(Estimate.fromNative(t1), Estimate.fromNative(t2), Estimate.fromNative(pr));
            }
        });
    }

    /**
     * Frobenius norm ||A||_F = sqrt(tr(A A*)) of any operator, by Hutch++ on its Gram with
     * {@code probes} applies; the standard error is propagated from the trace's.
     */
    public static Estimate frobeniusNorm(LinearOperator a, long probes, long seed) {
        try (LinearOperator g = a.gram()) {
            Estimate t = estimate(g, probes, seed).trace();
            double v = Math.sqrt(Math.max(t.value(), 0));
            return new Estimate(v, v > 0 ? t.stdError() / (2 * v) : 0, t.applies());
        }
    }

    /**
     * kpflow's effective rank of a symmetric A: its {@code effdim} squares the operator first, so
     * it is PR(A^2) = (tr A^2)^2 / tr(A^4) (DESIGN.md); estimated by Hutch++ on A^2.
     */
    public static Estimate kpflowEffectiveRank(LinearOperator a, long probes, long seed) {
        try (LinearOperator sq = a.compose(a)) {
            return estimate(sq, probes, seed).effectiveRank();
        }
    }

    /** tr A, tr A^2 and PR(A) exactly (dense, n &lt;= 20000). */
    public static TraceEstimates exact(LinearOperator a) {
        return NativeHandle.with(a, h -> {
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment v = tmp.allocate(ValueLayout.JAVA_DOUBLE, 3);
                Eigs.checkOp(Ntk4jNative.ntk4j_trace_exact(h, v, v.asSlice(8), v.asSlice(16)), "exact traces of " + a);
                return new TraceEstimates(
                        new Estimate(v.getAtIndex(ValueLayout.JAVA_DOUBLE, 0), 0, a.rows()),
                        new Estimate(v.getAtIndex(ValueLayout.JAVA_DOUBLE, 1), 0, a.rows()),
                        new Estimate(v.getAtIndex(ValueLayout.JAVA_DOUBLE, 2), 0, a.rows()));
            }
        });
    }
}
