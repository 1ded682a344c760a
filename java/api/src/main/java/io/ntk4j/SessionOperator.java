package io.ntk4j;

import io.ntk4j.internal.ffi.Ntk4jNative;
import java.util.Arrays;

/**
 * One exact linear operator of a {@link Session} (P, P*, P^-1, P^-*, J_theta, J_theta^T, K or
 * NTK_S), applied natively to blocks of probes. A block is a tensor of shape {@code [k, ...in]}
 * (or just {@code in} for one probe), where {@code in} is [B, T, H] in state space and
 * [n_params] in parameter space; the output has shape {@code [k, ...out]} likewise.
 *
 * <p>{@link #apply(Tensor, Tensor)} hands both segments to native code unchanged: the result is
 * written directly into {@code out}, with no intermediate copy.
 *
 * <p>Not public: {@link Session#operator} hands it out as a {@link LinearOperator}, ntk4j's one
 * operator type. It holds no native memory of its own (nothing to close); its kind's handle is
 * made on demand by {@link #toNative()}.
 */
final class SessionOperator implements LinearOperator {
    private final Session session;
    private final OperatorKind kind;

    SessionOperator(Session session, OperatorKind kind) {
        this.session = session;
        this.kind = kind;
    }

    OperatorKind kind() {
        return kind;
    }

    Session session() {
        return session;
    }

    /** Shape of one input vector ([B, T, H] or [n_params]). */
    long[] inputShape() {
        return session.inputShape(kind);
    }

    /** Shape of one output vector ([B, T, H] or [n_params]). */
    long[] outputShape() {
        return session.outputShape(kind);
    }

    /** The adjoint: the session's operator of the adjoint kind (P* for P, J_theta^T for J_theta, K and NTK_S themselves). */
    @Override
    public LinearOperator adjoint() {
        return session.operator(kind.adjoint());
    }

    /**
     * out = A in, for a block of probes. {@code in} is {@code [k, ...inputShape]} or
     * {@code inputShape}; {@code out} must be {@code [k, ...outputShape]} (resp. {@code outputShape}).
     *
     */
    @Override
    public void apply(Tensor in, Tensor out) {
        var handle = session.handle();
        long k = probes(in, inputShape(), "input");
        long kOut = probes(out, outputShape(), "output");
        boolean singleIn = Arrays.equals(in.shape(), inputShape()),
                singleOut = Arrays.equals(out.shape(), outputShape());
        if (k != kOut || singleIn != singleOut) {
            throw new InvalidInputException(this + ": output " + Arrays.toString(out.shape()) + " does not match input "
                    + Arrays.toString(in.shape()) + " (expected " + Arrays.toString(outputShapeFor(in)) + ")");
        }
        NativeLibrary.check(
                Ntk4jNative.ntk4j_apply(handle, kind.code(), in.segment(), in.size(), k, out.segment(), out.size()),
                toString());
    }

    /** out = A* in (the adjoint's block convention). */
    @Override
    public void applyAdjoint(Tensor in, Tensor out) {
        adjoint().apply(in, out);
    }

    @Override
    public long rows() {
        return Tensor.elementCount(outputShape());
    }

    @Override
    public long cols() {
        return Tensor.elementCount(inputShape());
    }

    @Override
    public boolean isSymmetric() {
        return kind == OperatorKind.K
                || kind == OperatorKind.NTK
                || kind == OperatorKind.NTK_Y
                || kind == OperatorKind.NTK_H;
    }

    /** This operator as a native operator handle (released when unreachable). */
    NativeOperator toNative() {
        var h = session.handle();
        return NativeOperator.create(
                toString(),
                java.util.List.of(session),
                out -> io.ntk4j.internal.ffi.Ntk4jNative.ntk4j_operator_from_session(h, kind.code(), out));
    }

    /** [k, ...outputShape] for a block [k, ...inputShape], outputShape for one probe. */
    @Override
    public long[] outputShapeFor(Tensor in) {
        probes(in, inputShape(), "input");
        long[] one = outputShape();
        if (in.rank() == inputShape().length) {
            return one;
        }
        long[] shape = new long[one.length + 1];
        shape[0] = in.dim(0);
        System.arraycopy(one, 0, shape, 1, one.length);
        return shape;
    }

    private long probes(Tensor t, long[] one, String role) {
        long[] s = t.shape();
        if (Arrays.equals(s, one)) {
            return 1;
        }
        if (s.length == one.length + 1 && Arrays.equals(Arrays.copyOfRange(s, 1, s.length), one) && s[0] > 0) {
            return s[0];
        }
        // The LinearOperator block convention: [k, ...] holding k contiguous vectors (e.g. [k, n]).
        if (s.length == 2 && s[0] > 0 && s[1] == Tensor.elementCount(one)) {
            return s[0];
        }
        throw new InvalidInputException(this + ": " + role + " has shape " + Arrays.toString(s) + " but must be "
                + Arrays.toString(one) + " or [k, " + Arrays.toString(one).substring(1));
    }

    /** E.g. {@code NTK(B=3,T=6,H=5)} (STYLE.md 9). */
    @Override
    public String toString() {
        return kind.id() + "(B=" + session.batch() + ",T=" + session.steps() + ",H=" + session.hiddenSize() + ")";
    }
}
