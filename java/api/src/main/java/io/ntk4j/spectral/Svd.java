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

/** Singular triplets of any operator (randomized SVD with power iterations, in the native core). */
public final class Svd {
    private Svd() {}

    /**
     * Top-k singular triplets of any operator by randomized SVD with power iterations
     * (Halko-Martinsson-Tropp).
     */
    public static SvdResult top(LinearOperator a, SvdOptions o) {
        return NativeHandle.with(a, h -> {
            if (o.k() > Math.min(a.rows(), a.cols())) {
                throw new InvalidInputException("k = " + o.k() + " singular triplets requested but " + a + " is "
                        + a.rows() + " x " + a.cols());
            }
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment opts = ntk4j_eigs_options.allocate(tmp);
                ntk4j_eigs_options.k(opts, o.k());
                ntk4j_eigs_options.tol(opts, o.tol());
                ntk4j_eigs_options.block(opts, o.oversample()); // the ABI shares the eigen options struct
                ntk4j_eigs_options.max_restarts(opts, o.maxIterations());
                ntk4j_eigs_options.seed(opts, o.seed());
                MemorySegment values = tmp.allocate(ValueLayout.JAVA_DOUBLE, o.k());
                MemorySegment residuals = tmp.allocate(ValueLayout.JAVA_DOUBLE, o.k());
                Tensor u = null, v = null;
                if (o.vectors()) {
                    Arena vecArena = Arena.ofAuto();
                    u = Tensor.allocate(vecArena, o.k(), a.rows());
                    v = Tensor.allocate(vecArena, o.k(), a.cols());
                }
                MemorySegment info = ntk4j_eigs_info.allocate(tmp);
                Eigs.checkOp(
                        Ntk4jNative.ntk4j_svds(
                                h,
                                opts,
                                values,
                                residuals,
                                u == null ? MemorySegment.NULL : u.segment(),
                                v == null ? MemorySegment.NULL : v.segment(),
                                info),
                        "singular values of " + a);
                return new SvdResult(
                        values.toArray(ValueLayout.JAVA_DOUBLE),
                        residuals.toArray(ValueLayout.JAVA_DOUBLE),
                        u,
                        v,
                        (int) ntk4j_eigs_info.converged(info),
                        ntk4j_eigs_info.vector_applies(info),
                        ntk4j_eigs_info.restarts(info));
            }
        });
    }
}
