package io.ntk4j;

import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_apply_fn;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A linear operator held by the native core: a session's operator, an algebraic combination of
 * native operators (applied entirely in native code), or a Java {@link LinearOperator} reached
 * through an FFM upcall. Its native handle is freed when it becomes unreachable, or earlier by
 * {@link #close()} (idempotent); operators derived from it stay valid either way. Use after
 * close throws {@link IllegalStateException}. Not public: users see it as a {@link LinearOperator},
 * and code that calls the C ABI itself reaches its handle through {@link NativeHandle}.
 */
final class NativeOperator implements LinearOperator {
    /** Frees unreachable operators' handles (the action holds the arena only, never the operator). */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    private final Arena arena;
    private final MemorySegment handle;
    private final long rows;
    private final long cols;
    private final boolean symmetric;
    private final String name;
    /** Objects that native code may call back into: kept reachable as long as this operator is. */
    private final List<Object> keepAlive;

    private volatile boolean closed;
    private final java.lang.ref.Cleaner.Cleanable release;

    private NativeOperator(Arena arena, MemorySegment handle, String name, List<Object> keepAlive) {
        this.arena = arena;
        this.handle = handle;
        this.name = name;
        this.keepAlive = keepAlive;
        this.release = CLEANER.register(this, arena::close);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment r = tmp.allocate(ValueLayout.JAVA_LONG), c = tmp.allocate(ValueLayout.JAVA_LONG);
            MemorySegment s = tmp.allocate(ValueLayout.JAVA_INT);
            NativeLibrary.check(Ntk4jNative.ntk4j_operator_dims(handle, r, c, s), "operator dims");
            this.rows = r.get(ValueLayout.JAVA_LONG, 0);
            this.cols = c.get(ValueLayout.JAVA_LONG, 0);
            this.symmetric = s.get(ValueLayout.JAVA_INT, 0) != 0;
        }
    }

    /** Runs a native constructor writing a handle into an out-pointer; wraps it. */
    static NativeOperator create(String name, List<Object> keepAlive, Function<MemorySegment, Integer> ctor) {
        NativeLibrary.ensureLoaded();
        Arena arena = Arena.ofShared();
        try {
            MemorySegment raw;
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment out = tmp.allocate(ValueLayout.ADDRESS);
                NativeLibrary.check(ctor.apply(out), name);
                raw = out.get(ValueLayout.ADDRESS, 0);
            }
            MemorySegment owned = raw.reinterpret(arena, Ntk4jNative::ntk4j_operator_destroy);
            return new NativeOperator(arena, owned, name, keepAlive);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A new native handle for any operator: a copy of the handle for a native operator, a session
     * operator's handle for a {@link SessionOperator}, an upcall wrapper for a Java operator.
     */
    static NativeOperator of(LinearOperator op) {
        if (op instanceof NativeOperator n) {
            return n.scale(1.0);
        }
        if (op instanceof SessionOperator t) {
            return t.toNative();
        }
        return fromJava(op);
    }

    /**
     * Runs {@code f} on the native form of {@code op} without leaking a handle: a native operator
     * is used as is; any other is wrapped for the duration of the call (what {@code f} derives
     * from it keeps what it needs alive natively).
     */
    static <T> T with(LinearOperator op, Function<NativeOperator, T> f) {
        if (op instanceof NativeOperator n) {
            return f.apply(n);
        }
        try (NativeOperator n = of(op)) {
            return f.apply(n);
        }
    }

    /** Wraps a Java operator: native algorithms call its apply/applyAdjoint through upcalls. */
    static NativeOperator fromJava(LinearOperator op) {
        NativeLibrary.ensureLoaded();
        Upcall apply = new Upcall(op, false), adjoint = new Upcall(op, true);
        // Stubs live in a GC-managed arena referenced by every operator derived from this one, so
        // native code can never call a freed stub.
        Arena stubs = Arena.ofAuto();
        MemorySegment applyStub = ntk4j_apply_fn.allocate(apply, stubs);
        MemorySegment adjointStub = ntk4j_apply_fn.allocate(adjoint, stubs);
        List<Object> keep = List.of(stubs, apply, adjoint, op);
        return create(
                "user operator " + op,
                keep,
                out -> Ntk4jNative.ntk4j_operator_from_callbacks(
                        op.rows(),
                        op.cols(),
                        op.isSymmetric() ? 1 : 0,
                        applyStub,
                        adjointStub,
                        MemorySegment.NULL,
                        out));
    }

    /** The callback: exceptions never cross into native code; they are kept and rethrown. */
    private static final class Upcall implements ntk4j_apply_fn.Function {
        private final LinearOperator op;
        private final boolean adjoint;

        Upcall(LinearOperator op, boolean adjoint) {
            this.op = op;
            this.adjoint = adjoint;
        }

        @Override
        public int apply(MemorySegment user, MemorySegment x, long k, MemorySegment y) {
            try {
                long in = adjoint ? op.rows() : op.cols(), out = adjoint ? op.cols() : op.rows();
                Tensor xin = Tensor.wrap(x.reinterpret(k * in * Double.BYTES), k, in);
                Tensor yout = Tensor.wrap(y.reinterpret(k * out * Double.BYTES), k, out);
                if (adjoint) {
                    op.applyAdjoint(xin, yout);
                } else {
                    op.apply(xin, yout);
                }
                return 0;
            } catch (Throwable t) {
                NativeLibrary.CALLBACK_FAILURE.set(t);
                return 1;
            }
        }
    }

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

    /** The live handle (for the spectral algorithms). */
    MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("operator " + name + " is closed");
        }
        return handle;
    }

    @Override
    public void apply(Tensor in, Tensor out) {
        run(false, in, out);
    }

    @Override
    public void applyAdjoint(Tensor in, Tensor out) {
        run(true, in, out);
    }

    private void run(boolean adj, Tensor in, Tensor out) {
        long inDim = adj ? rows : cols, outDim = adj ? cols : rows;
        if (in.size() == 0 || in.size() % inDim != 0) {
            throw new InvalidInputException(this + (adj ? " adjoint" : "") + ": input of " + in.size()
                    + " elements is not a block of vectors of length " + inDim);
        }
        long k = in.size() / inDim;
        if (out.size() != k * outDim) {
            throw new InvalidInputException(this + (adj ? " adjoint" : "") + ": output has " + out.size()
                    + " elements but " + k + " vectors of length " + outDim + " need " + k * outDim);
        }
        NativeLibrary.check(
                Ntk4jNative.ntk4j_operator_apply(
                        handle(), adj ? 1 : 0, in.segment(), in.size(), k, out.segment(), out.size()),
                toString());
    }

    private List<Object> keepWith(LinearOperator... others) {
        List<Object> keep = new ArrayList<>(keepAlive);
        for (LinearOperator o : others) {
            keep.add(o);
            if (o instanceof NativeOperator n) {
                keep.addAll(n.keepAlive);
            }
        }
        return List.copyOf(keep);
    }

    @Override
    public NativeOperator adjoint() {
        return create(name + "*", keepWith(), out -> Ntk4jNative.ntk4j_operator_adjoint(handle(), out));
    }

    @Override
    public NativeOperator compose(LinearOperator b) {
        return with(
                b,
                nb -> create(
                        name + " " + nb.name,
                        keepWith(nb),
                        out -> Ntk4jNative.ntk4j_operator_compose(handle(), nb.handle(), out)));
    }

    @Override
    public NativeOperator congruence(LinearOperator r) {
        return with(
                r,
                nr -> create(
                        nr.name + " " + name + " " + nr.name + "*",
                        keepWith(nr),
                        out -> Ntk4jNative.ntk4j_operator_congruence(nr.handle(), handle(), out)));
    }

    /** I_left (x) A (x) I_right (see {@link LinearOperator#kronecker}). */
    static NativeOperator kronecker(long left, double[] a, int rows, int cols, long right) {
        if (a.length != (long) rows * cols) {
            throw new InvalidInputException("a Kronecker factor of " + rows + " x " + cols + " needs "
                    + ((long) rows * cols) + " entries, got " + a.length);
        }
        NativeLibrary.ensureLoaded();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment seg = tmp.allocateFrom(ValueLayout.JAVA_DOUBLE, a); // copied natively
            return create(
                    "I_" + left + " (x) A[" + rows + "x" + cols + "] (x) I_" + right,
                    List.of(),
                    out -> Ntk4jNative.ntk4j_operator_kronecker(left, seg, rows, cols, right, out));
        }
    }

    @Override
    public NativeOperator gram() {
        return create(name + " " + name + "*", keepWith(), out -> Ntk4jNative.ntk4j_operator_gram(handle(), out));
    }

    @Override
    public NativeOperator plus(LinearOperator b) {
        return with(
                b,
                nb -> create(
                        "(" + name + " + " + nb.name + ")",
                        keepWith(nb),
                        out -> Ntk4jNative.ntk4j_operator_sum(handle(), nb.handle(), 1.0, 1.0, out)));
    }

    @Override
    public NativeOperator scale(double alpha) {
        return create(
                alpha + " " + name,
                keepWith(),
                out -> Ntk4jNative.ntk4j_operator_sum(handle(), handle(), alpha, 0.0, out));
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        release.clean();
    }

    @Override
    public String toString() {
        return name;
    }
}
