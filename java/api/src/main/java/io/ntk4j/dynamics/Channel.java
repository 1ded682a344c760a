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
        int ci = p.criticalIndex();
        boolean complex = Math.abs(p.eigenvaluesIm()[ci]) > 1e-12 * Math.max(1, Math.abs(p.eigenvaluesRe()[ci]));
        // The pitchfork normal form describes real crossings; a complex pair (Neimark-Sacker) gets NaN.
        double nf = complex ? Double.NaN : normalFormCosine(session, p, xBar, mu, c, arena);
        return new Result(mu, g, c, cc, tr, cc / tr, cos, nf);
    }

    /**
     * |cos| between c and the normal-form prediction (P_alpha alpha_shifted) (x) v (DESIGN.md): with
     * alpha_t = w^T (h_t - h_bar) on each trial, the pitchfork alpha' = (1 + mu) alpha - alpha^3 has
     * f'(alpha) = 1 + mu - 3 alpha^2, and z = P_alpha alpha_shifted solves
     * z_t = alpha_{t-1} + f'(alpha_{t-1}) z_{t-1} (alpha_{-1} from the session's h_0).
     *
     * <p>The unit cubic coefficient holds for alpha measured in the normal form's own scale: the
     * cell's reduced map along v is alpha' = (1 + mu) alpha - kappa alpha^3 + ..., with
     * kappa = -(1/6) d^3/d eps^3 w^T f(h_bar + eps v) at 0 (a central difference), so
     * f'(alpha) = 1 + mu - 3 kappa alpha^2 in the raw coordinate (the same propagator as the unit-cubic
     * pitchfork in sqrt(kappa) alpha, and z scales out of the cosine).
     */
    static double normalFormCosine(
            Session session, FixedPoints.FixedPoint p, double[] xBar, double mu, Tensor c, Arena arena) {
        int h = session.model().stateWidth(), k = p.criticalIndex();
        double[] v = column(p.right(), h, k), w = column(p.left(), h, k);
        double wv = dot(w, v);
        for (int i = 0; i < h; i++) {
            w[i] /= wv; // w^T v = 1
        }
        double kappa = cubicCoefficient(session.model(), p, xBar, v, w);
        Tensor hidden = session.hidden(arena);
        long b = session.batch(), t = session.steps();
        double[] h0 = session.initialState();
        double dotCp = 0, pp = 0, cc = 0;
        for (long bi = 0; bi < b; bi++) {
            double prevAlpha = 0;
            for (int i = 0; i < h; i++) {
                prevAlpha += w[i] * (h0[(int) (bi * h + i)] - p.state()[i]);
            }
            double z = 0;
            for (long ti = 0; ti < t; ti++) {
                z = prevAlpha + (ti == 0 ? 0 : (1 + mu - 3 * kappa * prevAlpha * prevAlpha) * z);
                double alpha = 0;
                for (int i = 0; i < h; i++) {
                    alpha += w[i] * (hidden.getFlat((bi * t + ti) * h + i) - p.state()[i]);
                }
                for (int i = 0; i < h; i++) {
                    double pred = z * v[i], ci = c.getFlat((bi * t + ti) * h + i);
                    dotCp += pred * ci;
                    pp += pred * pred;
                    cc += ci * ci;
                }
                prevAlpha = alpha;
            }
        }
        return pp == 0 || cc == 0 ? 0 : Math.abs(dotCp) / Math.sqrt(pp * cc);
    }

    /**
     * The cubic coefficient kappa of the reduced map alpha' = (1 + mu) alpha - kappa alpha^3 + ... along
     * the critical right eigenvector v of {@code p} (alpha = w^T (h - h_bar), w^T v = 1): for
     * h' = tanh(g h) at 0 it is g^3 / 3. A central difference of w^T f(h_bar + eps v, x_bar).
     */
    public static double cubicCoefficient(Model model, FixedPoints.FixedPoint p, double[] xBar) {
        int h = model.stateWidth(), k = p.criticalIndex();
        double[] v = column(p.right(), h, k), w = column(p.left(), h, k);
        double wv = dot(w, v);
        for (int i = 0; i < h; i++) {
            w[i] /= wv;
        }
        return cubicCoefficient(model, p, xBar, v, w);
    }

    /** kappa = -(1/6) g'''(0) for g(eps) = w^T f(h_bar + eps v, x_bar) (w^T v = 1). */
    private static double cubicCoefficient(
            Model model, FixedPoints.FixedPoint p, double[] xBar, double[] v, double[] w) {
        double norm = Math.sqrt(dot(v, v));
        double eps = 1e-2 / norm;
        double[] g = new double[7];
        for (int i = -3; i <= 3; i++) {
            double[] f = FixedPoints.stepAndJacobian(model, axpy(p.state(), i * eps, v), xBar)[0];
            g[i + 3] = dot(w, f);
        }
        // Seven-point central stencil for g''' (truncation error O(eps^4)).
        double third = (-g[6] + 8 * g[5] - 13 * g[4] + 13 * g[2] - 8 * g[1] + g[0]) / (8 * eps * eps * eps);
        return -third / 6;
    }

    private static double[] column(double[] rowMajor, int n, int c) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rowMajor[i * n + c];
        }
        return v;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double[] axpy(double[] x, double a, double[] y) {
        double[] r = x.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] += a * y[i];
        }
        return r;
    }
}
