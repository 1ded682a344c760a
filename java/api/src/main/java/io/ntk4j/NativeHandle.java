package io.ntk4j;

import java.lang.foreign.MemorySegment;
import java.util.function.Function;

/**
 * The native {@code ntk4j_operator*} behind a {@link LinearOperator}, for code that calls the C ABI
 * ({@code ntk4j.h}) itself: ntk4j's own {@link io.ntk4j.spectral} algorithms, and users who
 * benchmark or extend the native core. Not an operator type: it lends a handle for the duration of
 * one call and keeps no state.
 *
 * {@snippet :
 * double[] traces = NativeHandle.with(session.ntk(), h -> callMyNativeCode(h));
 * }
 */
public final class NativeHandle {
    private NativeHandle() {}

    /**
     * Runs {@code f} on the native handle of {@code op}: the operator's own handle when it was built
     * by the algebra, else one made for this call (a session operator's, or an upcall wrapper for a
     * Java operator) and released when {@code f} returns. The handle must not be kept beyond the
     * call; what native code derives from it keeps what it needs alive on its own.
     */
    public static <T> T with(LinearOperator op, Function<MemorySegment, T> f) {
        return NativeOperator.with(op, n -> f.apply(n.handle()));
    }
}
