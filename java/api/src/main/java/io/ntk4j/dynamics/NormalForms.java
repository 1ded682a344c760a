package io.ntk4j.dynamics;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;

/**
 * The normal-form prediction of the channel ({@link NormalForm}): the state response z v to a change
 * of the form's parameter, propagated along the measured trajectory's alpha_t, and its |cos| with c.
 */
final class NormalForms {
    private NormalForms() {}

    /** |cos(c, prediction)| for fixed point {@code p} of the session's model under {@code form}. */
    static double cosine(
            Session session, FixedPoints.FixedPoint p, double[] xBar, Tensor c, NormalForm form, Arena arena) {
        boolean complex = NormalForm.of(p) == NormalForm.NEIMARK_SACKER;
        boolean negative = !complex && p.eigenvaluesRe()[p.criticalIndex()] < 0;
        if (complex != (form == NormalForm.NEIMARK_SACKER) || negative != (form == NormalForm.FLIP)) {
            String needs = form == NormalForm.NEIMARK_SACKER
                    ? "a complex"
                    : form == NormalForm.FLIP ? "a negative real" : "a positive real";
            throw new InvalidInputException(
                    "the " + form + " normal form needs " + needs + " critical eigenvalue, got " + eigenvalue(p));
        }
        int h = session.model().stateWidth();
        Critical k = Critical.of(p, h);
        Tensor hidden = session.hidden(arena);
        long b = session.batch(), t = session.steps();
        double[] h0 = session.initialState(), hb = p.state();
        double[] d = new double[h];
        Coefficients q = complex ? null : Coefficients.real(session.model(), p, xBar, k);
        double[] kappaC = complex ? complexCubic(session.model(), p, xBar, k) : null;
        double lambda = k.re, mu = p.mu(), s = form == NormalForm.FLIP ? -1 : 1;
        double cosW = k.re / Math.hypot(k.re, k.im), sinW = k.im / Math.hypot(k.re, k.im);
        double dotCp = 0, pp = 0, cc = 0;
        for (long bi = 0; bi < b; bi++) {
            for (int i = 0; i < h; i++) {
                d[i] = h0[(int) (bi * h + i)] - hb[i];
            }
            double[] prev = k.coordinate(d);
            double zr = 0, zi = 0;
            for (long ti = 0; ti < t; ti++) {
                double ar = prev[0], ai = prev[1];
                if (!complex) {
                    // z_t = drive(alpha_{t-1}) + f'(alpha_{t-1}) z_{t-1}
                    double drive = form == NormalForm.SADDLE_NODE ? 1 : s * ar;
                    double slope = form == NormalForm.SADDLE_NODE
                            ? lambda + 2 * q.quadratic * ar
                            : s * (1 + mu) - 3 * q.cubic * ar * ar;
                    zr = drive + (ti == 0 ? 0 : slope * zr);
                } else if (ti == 0) {
                    zr = cosW * ar - sinW * ai; // e^(i omega) alpha_{-1}
                    zi = sinW * ar + cosW * ai;
                } else {
                    // z_t = e^(i omega) alpha + (lambda - 2 kappa |alpha|^2) z - kappa alpha^2 conj(z)
                    double a2 = ar * ar + ai * ai, sr = ar * ar - ai * ai, si = 2 * ar * ai;
                    double lr = k.re - 2 * kappaC[0] * a2, li = k.im - 2 * kappaC[1] * a2;
                    double mr = kappaC[0] * sr - kappaC[1] * si, mi = kappaC[0] * si + kappaC[1] * sr;
                    double nr = cosW * ar - sinW * ai + lr * zr - li * zi - (mr * zr + mi * zi);
                    double ni = sinW * ar + cosW * ai + lr * zi + li * zr - (mi * zr - mr * zi);
                    zr = nr;
                    zi = ni;
                }
                long row = (bi * t + ti) * h;
                for (int i = 0; i < h; i++) {
                    d[i] = hidden.getFlat(row + i) - hb[i];
                }
                prev = k.coordinate(d);
                for (int i = 0; i < h; i++) {
                    // Real: z v; complex: the real state of the pair, 2 Re(z v).
                    double pred = complex ? 2 * (zr * k.vr[i] - zi * k.vi[i]) : zr * k.vr[i];
                    double ci = c.getFlat(row + i);
                    dotCp += pred * ci;
                    pp += pred * pred;
                    cc += ci * ci;
                }
            }
        }
        return pp == 0 || cc == 0 ? 0 : Math.abs(dotCp) / Math.sqrt(pp * cc);
    }

    private static String eigenvalue(FixedPoints.FixedPoint p) {
        int c = p.criticalIndex();
        return p.eigenvaluesRe()[c] + (p.eigenvaluesIm()[c] >= 0 ? " + " : " - ") + Math.abs(p.eigenvaluesIm()[c])
                + "i";
    }

    /**
     * The critical eigenvalue re + i im (for a pair, the member with im > 0), its right eigenvector
     * v = vr + i vi and left one scaled so that u^H v = 1 (LAPACK packs a pair's vectors as two
     * columns, real and imaginary parts, at the member with im > 0).
     */
    record Critical(double re, double im, double[] vr, double[] vi, double[] ur, double[] ui) {
        static Critical of(FixedPoints.FixedPoint p, int h) {
            int c = p.criticalIndex();
            double im = p.eigenvaluesIm()[c];
            if (Math.abs(im) <= 1e-12 * Math.max(1, Math.abs(p.eigenvaluesRe()[c]))) {
                double[] v = column(p.right(), h, c), w = column(p.left(), h, c);
                double wv = dot(w, v);
                for (int i = 0; i < h; i++) {
                    w[i] /= wv;
                }
                return new Critical(p.eigenvaluesRe()[c], 0, v, new double[h], w, new double[h]);
            }
            int j = im > 0 ? c : c - 1;
            double[] vr = column(p.right(), h, j), vi = column(p.right(), h, j + 1);
            double[] ur = column(p.left(), h, j), ui = column(p.left(), h, j + 1);
            // s = u^H v; u <- u / conj(s) makes u^H v = 1.
            double sr = dot(ur, vr) + dot(ui, vi), si = dot(ur, vi) - dot(ui, vr), s2 = sr * sr + si * si;
            double[] nr = new double[h], ni = new double[h];
            for (int i = 0; i < h; i++) {
                // u / conj(s) = u s / |s|^2
                nr[i] = (ur[i] * sr - ui[i] * si) / s2;
                ni[i] = (ur[i] * si + ui[i] * sr) / s2;
            }
            return new Critical(p.eigenvaluesRe()[j], p.eigenvaluesIm()[j], vr, vi, nr, ni);
        }

        /** alpha = u^H d as {re, im} (im 0 for a real eigenvalue). */
        double[] coordinate(double[] d) {
            return new double[] {dot(ur, d), -dot(ui, d)};
        }
    }

    /** The real forms' coefficients: a = g''(0) / 2, kappa = -g'''(0) / 6 for g(eps) = w^T f(h_bar + eps v). */
    record Coefficients(double quadratic, double cubic) {
        static Coefficients real(Model model, FixedPoints.FixedPoint p, double[] xBar, Critical k) {
            double eps = 1e-2 / Math.sqrt(dot(k.vr, k.vr));
            double[] g = new double[7];
            for (int i = -3; i <= 3; i++) {
                g[i + 3] = dot(k.ur, step(model, p.state(), i * eps, k.vr, null, xBar));
            }
            // Central stencils: g'' (five points) and g''' (seven), truncation errors O(eps^4).
            double second = (-g[5] + 16 * g[4] - 30 * g[3] + 16 * g[2] - g[1]) / (12 * eps * eps);
            double third = (-g[6] + 8 * g[5] - 13 * g[4] + 13 * g[2] - 8 * g[1] + g[0]) / (8 * eps * eps * eps);
            return new Coefficients(second / 2, -third / 6);
        }
    }

    /**
     * The pair's resonant cubic coefficient, kappa = -c21 with u^H f(h_bar + 2 Re(alpha v)) =
     * u^H h_bar + lambda alpha + ... + c21 |alpha|^2 alpha + ...: on the circle alpha = eps e^(i phi)
     * the e^(i phi) Fourier mode of u^H f - u^H h_bar - lambda alpha is c21 eps^3 (the quadratic
     * and other cubic terms sit in other modes; eight points resolve them). Returned as {re, im}.
     */
    static double[] complexCubic(Model model, FixedPoints.FixedPoint p, double[] xBar, Critical k) {
        double eps = 1e-2 / Math.sqrt(dot(k.vr, k.vr) + dot(k.vi, k.vi));
        int n = 8;
        double cr = 0, ci = 0;
        double[] hb = k.coordinate(p.state());
        for (int j = 0; j < n; j++) {
            double phi = 2 * Math.PI * j / n, ar = eps * Math.cos(phi), ai = eps * Math.sin(phi);
            // h = h_bar + 2 Re(alpha v) = h_bar + 2 (ar vr - ai vi)
            double[] f = step(model, p.state(), 2 * ar, k.vr, scaled(k.vi, -2 * ai), xBar);
            double[] g = k.coordinate(f);
            double rr = g[0] - hb[0] - (k.re * ar - k.im * ai), ri = g[1] - hb[1] - (k.re * ai + k.im * ar);
            // times e^(-i phi)
            cr += rr * Math.cos(phi) + ri * Math.sin(phi);
            ci += ri * Math.cos(phi) - rr * Math.sin(phi);
        }
        double e3 = n * eps * eps * eps;
        return new double[] {-cr / e3, -ci / e3};
    }

    /** f(h + a x + y) for the model's step at input xBar (y may be null). */
    private static double[] step(Model model, double[] h, double a, double[] x, double[] y, double[] xBar) {
        double[] at = h.clone();
        for (int i = 0; i < at.length; i++) {
            at[i] += a * x[i] + (y == null ? 0 : y[i]);
        }
        return FixedPoints.stepAndJacobian(model, at, xBar)[0];
    }

    private static double[] scaled(double[] x, double a) {
        double[] r = new double[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = a * x[i];
        }
        return r;
    }

    static double[] column(double[] rowMajor, int n, int c) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rowMajor[i * n + c];
        }
        return v;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
