package io.ntk4j.dynamics;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.NativeLibrary;
import io.ntk4j.NativeModel;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.spectral.TraceEstimates;
import io.ntk4j.spectral.Traces;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The sNTK bifurcation channel (DESIGN.md, "Learning dynamics near bifurcations"): at a fixed point
 * h_bar with a real critical eigenvalue lambda_c (right/left eigenvectors v, w, w^T v = 1) and
 * mu = |lambda_c| - 1,
 * <pre>
 *   d lambda / d theta = w^T (dJ/d theta + dJ/dh . dh_bar/d theta) v,   dh_bar/d theta = (I - J)^-1 df/d theta,
 *   c = P J_theta grad mu / ||grad mu||,  NTK_S = c c^T + residual.
 * </pre>
 * The second derivatives enter only through g(h, theta) = w^T J(h, theta) v, whose gradients are
 * one central difference in a scalar: d/d eps of J_theta(h + eps v)^T w and J(h + eps v)^T w
 * (J v is the derivative of f along v); the rest is exact (adjoint applies and one linear solve),
 * all in native code ({@code native/src/dynamics/channel.cpp}).
 *
 * {@snippet :
 * FixedPoints.FixedPoint origin = FixedPoints.find(model, null, FixedPoints.Options.defaults()).points().get(0);
 * Channel.Result c = Channel.of(session, origin, null, arena);
 * System.out.println("channel carries " + c.shareOfTrace() + " of tr NTK_S");
 * }
 */
public final class Channel {
    private Channel() {}

    /** The channel of a trajectory and its figures. */
    public record Result(
            double mu,
            double[] gradMu,
            Tensor channel,
            double channelEigenvalue,
            double traceNtk,
            double shareOfTrace,
            double cosineWithTopEigenvector,
            double normalFormCosine) {}

    /**
     * grad_theta mu (flat, PyTorch order) at fixed point {@code p} under constant input {@code xBar},
     * computed natively in one call ({@code ntk4j_critical_gradient}). For a complex critical pair
     * (LAPACK's packing: v = VR[:, c] + i VR[:, c+1] for the member with Im &gt; 0), with u the left
     * eigenvector: d lambda = u^H dJ v / u^H v and d mu = Re(conj(lambda) d lambda) / |lambda|, each
     * real bilinear form of the expansion differentiated like the real case.
     */
    public static double[] gradMu(Model model, FixedPoints.FixedPoint p, double[] xBar) {
        int h = model.stateWidth();
        if (p.state().length != h) {
            throw new InvalidInputException("fixed point has " + p.state().length + " values but H = " + h);
        }
        if (xBar != null && xBar.length != model.inputSize()) {
            throw new InvalidInputException(
                    "x_bar has " + xBar.length + " values but the model's input_size is " + model.inputSize());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = NativeModel.create(model, arena);
            MemorySegment x = xBar == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_DOUBLE, xBar);
            MemorySegment g = arena.allocate(ValueLayout.JAVA_DOUBLE, model.numParams());
            NativeLibrary.check(
                    Ntk4jNative.ntk4j_critical_gradient(
                            m,
                            arena.allocateFrom(ValueLayout.JAVA_DOUBLE, p.state()),
                            x,
                            arena.allocateFrom(ValueLayout.JAVA_DOUBLE, p.jacobian()),
                            arena.allocateFrom(ValueLayout.JAVA_DOUBLE, p.eigenvaluesRe()),
                            arena.allocateFrom(ValueLayout.JAVA_DOUBLE, p.eigenvaluesIm()),
                            arena.allocateFrom(ValueLayout.JAVA_DOUBLE, p.left()),
                            arena.allocateFrom(ValueLayout.JAVA_DOUBLE, p.right()),
                            p.criticalIndex(),
                            g,
                            model.numParams()),
                    "grad mu");
            return g.toArray(ValueLayout.JAVA_DOUBLE);
        }
    }

    /**
     * The channel of the trajectory of {@code session} for the fixed point {@code p}: c = P J_theta u
     * with u = grad mu / ||grad mu||, its eigenvalue ||c||^2, its share of tr NTK_S (from
     * {@link #traces}), and |cos| between c and NTK_S's top eigenvector.
     */
    public static Result of(Session session, FixedPoints.FixedPoint p, double[] xBar, Arena arena) {
        return of(session, p, xBar, arena, traces(session).trace().value());
    }

    /** Largest side on which traces are formed densely (the native exact-trace limit). */
    private static final long EXACT_LIMIT = 20000;

    /**
     * tr NTK_S, tr NTK_S^2 and the effective rank, exact on the smaller side of P J_theta: the
     * parameter Gram (P J_theta)^T (P J_theta) (the same nonzero spectrum) when there are at most
     * 20000 parameters and no more than B T H, else NTK_S itself when B T H is at most 20000, else
     * Hutch++ with 300 probes (then with standard errors).
     */
    public static TraceEstimates traces(Session s) {
        long n = s.batch() * s.steps() * s.hiddenSize(), params = s.model().numParams();
        if (params <= EXACT_LIMIT && params <= n) {
            try (LinearOperator j = s.P().compose(s.jtheta());
                    LinearOperator jt = j.adjoint();
                    LinearOperator g = jt.gram()) {
                return Traces.exact(g);
            }
        }
        if (n <= EXACT_LIMIT) {
            return Traces.exact(s.ntk());
        }
        return Traces.estimate(s.ntk(), 300, 1);
    }

    /**
     * As {@link #of(Session, FixedPoints.FixedPoint, double[], Arena)} with tr NTK_S given (e.g. the
     * sum of the eigenvalues of J^T J on the parameter side, exact and cheap when there are few
     * parameters).
     */
    public static Result of(Session session, FixedPoints.FixedPoint p, double[] xBar, Arena arena, double traceNtk) {
        return of(session, p, xBar, arena, traceNtk, NormalForm.of(p));
    }

    /**
     * As {@link #of(Session, FixedPoints.FixedPoint, double[], Arena, double)} with the normal form
     * the cosine follows named ({@link NormalForm}: e.g. a saddle-node, which the eigenvalue alone
     * does not tell from a pitchfork); it must match the critical eigenvalue (complex for
     * Neimark-Sacker, real otherwise).
     */
    public static Result of(
            Session session, FixedPoints.FixedPoint p, double[] xBar, Arena arena, double traceNtk, NormalForm form) {
        if (!(traceNtk > 0) || !Double.isFinite(traceNtk)) {
            throw new InvalidInputException("tr NTK_S must be a finite number > 0, got " + traceNtk);
        }
        double[] g = gradMu(session.model(), p, xBar);
        double norm = Math.sqrt(dot(g, g));
        Tensor u = Tensor.allocate(arena, 1, g.length);
        for (int i = 0; i < g.length; i++) {
            u.setFlat(i, g[i] / norm);
        }
        Tensor c = session.P().apply(session.jtheta().apply(u, arena), arena);
        double cc = 0;
        for (long i = 0; i < c.size(); i++) {
            cc += c.getFlat(i) * c.getFlat(i);
        }
        long n = c.size();
        double tr = traceNtk;
        double cos;
        try (LinearOperator j = session.P().compose(session.jtheta())) {
            EigenResult top = Eigs.topOfGram(j, EigsOptions.top(1).withVectors(true));
            double d = 0;
            for (long i = 0; i < n; i++) {
                d += top.vectors().getFlat(i) * c.getFlat(i);
            }
            cos = Math.abs(d) / Math.sqrt(cc);
        }
        double mu = p.mu();
        double nf = NormalForms.cosine(session, p, xBar, c, form, arena);
        return new Result(mu, g, c, cc, tr, cc / tr, cos, nf);
    }

    /**
     * The cubic coefficient kappa of the reduced map alpha' = (1 + mu) alpha - kappa alpha^3 + ... along
     * the critical right eigenvector v of {@code p} (alpha = w^T (h - h_bar), w^T v = 1): for
     * h' = tanh(g h) at 0 it is g^3 / 3. A central difference of w^T f(h_bar + eps v, x_bar).
     */
    public static double cubicCoefficient(Model model, FixedPoints.FixedPoint p, double[] xBar) {
        if (NormalForm.of(p) == NormalForm.NEIMARK_SACKER) {
            throw new InvalidInputException("the real cubic coefficient needs a real critical eigenvalue");
        }
        NormalForms.Critical k = NormalForms.Critical.of(p, model.stateWidth());
        return NormalForms.Coefficients.real(model, p, xBar, k).cubic();
    }

    private static double dot(double[] a, double[] b) {
        return NormalForms.dot(a, b);
    }
}
