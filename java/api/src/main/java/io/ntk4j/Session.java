package io.ntk4j;

import io.ntk4j.internal.ffi.Ntk4jNative;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * A model unrolled once on a batch of inputs [B, T, N], holding (natively) the trajectory and the
 * per-step derivative diagonals that its tangent operators need. From a session come the exact
 * operators P, P*, P^-1, P^-*, J_theta, J_theta^T, K and NTK_S = P K P* (DESIGN.md), each applied
 * to off-heap blocks of k probes with results written straight into the caller's tensor.
 *
 * <p>A session owns an {@link Arena} and the native handle; {@link #close()} frees both. Using a
 * closed session throws {@link IllegalStateException}; closing twice is harmless. Applying
 * operators from several threads at once is safe (the native state is read-only).
 *
 * {@snippet :
 * Model model = io.ntk4j.io.ModelFiles.load(Path.of("tests/golden/rnn_elman"));
 * try (Arena arena = Arena.ofConfined();
 *      Session session = Session.open(model, Npy.read(Path.of("tests/golden/rnn_elman/inputs.npy"), arena))) {
 *   Tensor q = Tensor.allocate(arena, 4, session.batch(), session.steps(), session.hiddenSize());
 *   Tensor y = Tensor.allocate(arena, q.shape());
 *   session.ntk().apply(q, y);            // y = NTK_S q for 4 probes at once, written in place
 * }
 * }
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final Arena arena;
    private final MemorySegment handle;
    private final long batch;
    private final long steps;
    private final long numParams;
    private final double[] initialState;
    private volatile boolean closed;

    private Session(
            Model model,
            Arena arena,
            MemorySegment handle,
            long batch,
            long steps,
            long numParams,
            double[] initialState) {
        this.model = model;
        this.arena = arena;
        this.handle = handle;
        this.batch = batch;
        this.steps = steps;
        this.numParams = numParams;
        this.initialState = initialState;
    }

    /** Unrolls {@code model} on {@code inputs} [B, T, N] from h0 = 0. */
    public static Session open(Model model, Tensor inputs) {
        return open(model, inputs, null);
    }

    /**
     * Unrolls {@code model} on {@code inputs} [B, T, N] from the initial state {@code h0} [B, H]
     * (or zeros when {@code h0} is null). The inputs are read during the call and not retained.
     */
    public static Session open(Model model, Tensor inputs, Tensor h0) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inputs, "inputs");
        NativeLibrary.ensureLoaded();
        if (inputs.rank() != 3) {
            throw new InvalidInputException("inputs must have shape [B, T, N], got " + Arrays.toString(inputs.shape()));
        }
        long b = inputs.dim(0), t = inputs.dim(1), n = inputs.dim(2);
        if (n != model.inputSize()) {
            throw new InvalidInputException("inputs " + Arrays.toString(inputs.shape()) + " have N=" + n
                    + " but the model's input_size is " + model.inputSize());
        }
        if (h0 != null && model.attentionConfig() != null) {
            throw new InvalidInputException("attention_mlp has no initial state: h0 must not be given");
        }
        if (h0 != null && (h0.rank() != 2 || h0.dim(0) != b || h0.dim(1) != model.stateWidth())) {
            throw new InvalidInputException("h0 must have shape [B, H] = [" + b + ", " + model.stateWidth() + "], got "
                    + Arrays.toString(h0.shape()));
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment handle;
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment nativeModel = io.ntk4j.NativeModel.create(model, tmp); // freed with tmp
                MemorySegment sessionOut = tmp.allocate(ValueLayout.ADDRESS);
                NativeLibrary.check(
                        Ntk4jNative.ntk4j_session_create(
                                nativeModel,
                                inputs.segment(),
                                b,
                                t,
                                n,
                                h0 == null ? MemorySegment.NULL : h0.segment(),
                                sessionOut),
                        "unroll");
                handle = sessionOut.get(ValueLayout.ADDRESS, 0); // the session keeps what it needs of the model
            }
            // The native destructor runs when the arena closes (STYLE.md 10).
            MemorySegment owned = handle.reinterpret(arena, Ntk4jNative::ntk4j_session_destroy);
            long params;
            try (Arena tmp = Arena.ofConfined()) {
                MemorySegment np = tmp.allocate(ValueLayout.JAVA_LONG);
                NativeLibrary.check(
                        Ntk4jNative.ntk4j_session_dims(
                                owned,
                                MemorySegment.NULL,
                                MemorySegment.NULL,
                                MemorySegment.NULL,
                                MemorySegment.NULL,
                                np),
                        "session dims");
                params = np.get(ValueLayout.JAVA_LONG, 0);
            }
            return new Session(
                    model,
                    arena,
                    owned,
                    b,
                    t,
                    params,
                    h0 == null ? new double[Math.toIntExact(b * model.stateWidth())] : h0.toArray());
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public Model model() {
        return model;
    }

    public long batch() {
        return batch;
    }

    public long steps() {
        return steps;
    }

    /**
     * Width H of one step of the state vectors the operators act on ([B, T, H]): the model's hidden
     * size, or twice it for lstm, whose state is [h; c] ({@link Model#stateWidth}).
     */
    public long hiddenSize() {
        return model.stateWidth();
    }

    public long inputSize() {
        return model.inputSize();
    }

    public long numParams() {
        return numParams;
    }

    /** The initial state h_0 [B, H], flat (zeros unless one was given). */
    public double[] initialState() {
        return initialState.clone();
    }

    /** Shape of one state-space vector, [B, T, H]. */
    public long[] stateShape() {
        return new long[] {batch, steps, model.stateWidth()};
    }

    /** Copies the trajectory h_1..h_T [B, T, H] into {@code out}. */
    public void hidden(Tensor out) {
        MemorySegment h = handle();
        if (!Arrays.equals(out.shape(), stateShape())) {
            throw new InvalidInputException("hidden output must have shape " + Arrays.toString(stateShape()) + ", got "
                    + Arrays.toString(out.shape()));
        }
        NativeLibrary.check(Ntk4jNative.ntk4j_session_hidden(h, out.segment(), out.size()), "hidden");
    }

    /** The trajectory h_1..h_T [B, T, H] in a new tensor of {@code arena}. */
    public Tensor hidden(Arena arena) {
        Tensor out = Tensor.allocate(arena, stateShape());
        hidden(out);
        return out;
    }

    /** The number of weight sites of a recurrent model (K = sum_s D_s (A_s A_s^T (x) I) D_s^T; DESIGN.md). */
    public int numSites() {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment c = tmp.allocate(ValueLayout.JAVA_LONG);
            NativeLibrary.check(Ntk4jNative.ntk4j_session_sites(handle(), c), "weight sites");
            return Math.toIntExact(c.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    /**
     * Site {@code site}'s activity a_s over every (b, t), [B*T, dim_s] in a new tensor of
     * {@code arena} (row b*T + t reads x[b, t] and h[b, t-1]; rnn_leaky: [tanh h; x], the paper's
     * joint hidden and input activity). Recurrent models only.
     */
    public Tensor siteActivity(int site, Arena arena) {
        MemorySegment h = handle();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment dim = tmp.allocate(ValueLayout.JAVA_LONG);
            NativeLibrary.check(
                    Ntk4jNative.ntk4j_session_site_activity(h, site, MemorySegment.NULL, 0, dim), "site activity");
            Tensor out = Tensor.allocate(arena, batch * steps, dim.get(ValueLayout.JAVA_LONG, 0));
            NativeLibrary.check(
                    Ntk4jNative.ntk4j_session_site_activity(h, site, out.segment(), out.size(), dim), "site activity");
            return out;
        }
    }

    /**
     * The operator of the given kind, applied natively to blocks of probes. A block is a tensor of
     * shape {@code [k, ...in]} (or just {@code in} for one probe) with {@code in} =
     * {@link #inputShape(OperatorKind)}; the output is {@code [k, ...out]} likewise, written directly
     * into the caller's segment. It belongs to this session: nothing to close, and it stops working
     * (IllegalStateException) when the session closes.
     *
     * {@snippet :
     * Tensor q = Tensor.gaussian(arena, 1, 1.0, 4, s.batch(), s.steps(), s.hiddenSize());  // 4 probes
     * Tensor y = s.ntk().apply(q, arena);   // NTK_S q, [4, B, T, H]
     * }
     */
    public LinearOperator operator(OperatorKind kind) {
        handle();
        if (kind == OperatorKind.NTK_Y && model.attentionConfig() == null) {
            throw new InvalidInputException("NTK_y needs a model whose outputs are part of its state (attention_mlp); "
                    + "the readout NTK of a recurrent model is not available");
        }
        if (kind == OperatorKind.NTK_H && model.attentionConfig() != null) {
            throw new InvalidInputException("NTK_h is the NTK of a recurrent cell's observable state h; attention_mlp "
                    + "has none (its outputs' NTK is NTK_y)");
        }
        return new SessionOperator(this, kind);
    }

    /** Shape of one input vector of the operator of {@code kind}: [B, T, H], or [n_params] for J_theta. */
    public long[] inputShape(OperatorKind kind) {
        if (kind == OperatorKind.NTK_Y) {
            return outputsShape();
        }
        if (kind == OperatorKind.NTK_H) {
            return new long[] {batch, steps, model.hiddenSize()};
        }
        return kind.takesParameters() ? new long[] {numParams()} : stateShape();
    }

    /** Shape [B, T, d_output] of the outputs (attention_mlp), the space of {@link OperatorKind#NTK_Y}. */
    public long[] outputsShape() {
        if (model.attentionConfig() == null) {
            throw new InvalidInputException("a recurrent model's outputs are not part of its state");
        }
        return new long[] {batch, steps, model.attentionConfig().dOutput()};
    }

    /**
     * NTK_S restricted to the observable state h, on [B, T, H] (an lstm's h without c; for the other
     * cells NTK_S itself).
     */
    public LinearOperator ntkObserved() {
        return operator(OperatorKind.NTK_H);
    }

    /** The output NTK, NTK_y = E_y NTK_S E_y^T on [B, T, d_output] (attention_mlp only). */
    public LinearOperator ntkOutputs() {
        return operator(OperatorKind.NTK_Y);
    }

    /** Shape of one output vector of the operator of {@code kind}: [B, T, H], or [n_params] for J_theta^T. */
    public long[] outputShape(OperatorKind kind) {
        if (kind == OperatorKind.NTK_Y) {
            return outputsShape();
        }
        if (kind == OperatorKind.NTK_H) {
            return new long[] {batch, steps, model.hiddenSize()};
        }
        return kind.givesParameters() ? new long[] {numParams()} : stateShape();
    }

    /** Propagator P. */
    public LinearOperator P() {
        return operator(OperatorKind.P);
    }

    /** Adjoint propagator P*. */
    public LinearOperator Pt() {
        return operator(OperatorKind.PT);
    }

    /** P^-1. */
    public LinearOperator Pinv() {
        return operator(OperatorKind.PINV);
    }

    /** P^-* (the adjoint of P^-1). */
    public LinearOperator Pinvt() {
        return operator(OperatorKind.PINVT);
    }

    /** Parameter operator K = J_theta J_theta^T. */
    public LinearOperator K() {
        return operator(OperatorKind.K);
    }

    /** State-space NTK, NTK_S = P K P*. */
    public LinearOperator ntk() {
        return operator(OperatorKind.NTK);
    }

    /** One-step parameter Jacobian J_theta (parameter space to state space). */
    public LinearOperator jtheta() {
        return operator(OperatorKind.JTHETA);
    }

    /** J_theta^T (state space to parameter space). */
    public LinearOperator jthetaT() {
        return operator(OperatorKind.JTHETA_T);
    }

    /** The live native handle, or IllegalStateException if closed. */
    MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
        return handle;
    }

    /**
     * Frees the native trajectory. Idempotent and safe to call while other threads apply this
     * session's operators: applies that start afterwards throw {@link IllegalStateException}, and
     * the ones already inside native code (they hold the session's memory) are waited for, so the
     * memory is always freed and never freed under them.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // A shared arena cannot close while a downcall holds it ("acquired by N clients"): those
        // are finite native applies (none calls back into Java), so wait for them.
        long pauseNanos = 10_000;
        while (true) {
            try {
                arena.close();
                return;
            } catch (IllegalStateException inUse) {
                java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
                pauseNanos = Math.min(2 * pauseNanos, 5_000_000);
            }
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "Session[" + model + ", B=" + batch + ", T=" + steps + (closed ? ", closed" : "") + "]";
    }
}
