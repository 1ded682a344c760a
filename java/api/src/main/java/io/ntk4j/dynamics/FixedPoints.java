package io.ntk4j.dynamics;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.NativeLibrary;
import io.ntk4j.NativeModel;
import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_fixed_point_options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Fixed points h = f(h, x_bar) of a model under a constant input and the spectra of their
 * Jacobians J = df/dh (DESIGN.md, "Learning dynamics near bifurcations"): Newton's method with
 * backtracking from the origin, from random states and from the ends of autonomous rollouts,
 * deduplicated; eigenvalues, left and right eigenvectors by LAPACK.
 *
 * {@snippet :
 * Result r = FixedPoints.find(model, null, Options.defaults());
 * for (FixedPoint p : r.points()) {
 *   System.out.println(p.spectralRadius() + (p.stable() ? " stable" : " unstable"));
 * }
 * }
 */
public final class FixedPoints {
    private FixedPoints() {}

    /** Search settings (see {@code ntk4j_fixed_point_options}); rolloutSteps 0 means Newton from the raw starts only. */
    public record Options(int starts, int rolloutSteps, int maxIterations, double tol, double initScale, long seed) {
        public Options {
            if (starts < 0 || rolloutSteps < 0 || maxIterations < 1 || !(tol > 0) || !(initScale > 0)) {
                throw new InvalidInputException(
                        "fixed-point options: starts, rolloutSteps >= 0, maxIterations >= 1, tol > 0, "
                                + "initScale > 0");
            }
        }

        /** ntk4j_fixed_point_options_init's defaults (OptionDefaultsTest ties them). */
        public static Options defaults() {
            return new Options(16, 500, 100, 1e-12, 1.0, io.ntk4j.spectral.EigsOptions.DEFAULT_SEED);
        }
    }

    /**
     * A fixed point with its Jacobian (row-major H x H) and eigenvalues re + i im (unsorted, as LAPACK
     * returns them; eigenvector column j of {@code right}/{@code left} belongs to eigenvalue j).
     */
    public record FixedPoint(
            double[] state,
            double[] jacobian,
            double[] eigenvaluesRe,
            double[] eigenvaluesIm,
            double[] left,
            double[] right) {
        /** max |lambda|. */
        public double spectralRadius() {
            double r = 0;
            for (int i = 0; i < eigenvaluesRe.length; i++) {
                r = Math.max(r, Math.hypot(eigenvaluesRe[i], eigenvaluesIm[i]));
            }
            return r;
        }

        /** Index of the critical eigenvalue lambda_c: the one with |lambda| closest to 1. */
        public int criticalIndex() {
            int best = 0;
            double bestDist = Double.MAX_VALUE;
            for (int i = 0; i < eigenvaluesRe.length; i++) {
                double d = Math.abs(Math.hypot(eigenvaluesRe[i], eigenvaluesIm[i]) - 1);
                if (d < bestDist) {
                    bestDist = d;
                    best = i;
                }
            }
            return best;
        }

        /** Distance to bifurcation mu = |lambda_c| - 1. */
        public double mu() {
            int c = criticalIndex();
            return Math.hypot(eigenvaluesRe[c], eigenvaluesIm[c]) - 1;
        }

        /** Linearly stable: every |lambda| &lt; 1. */
        public boolean stable() {
            return spectralRadius() < 1;
        }
    }

    /** The points found and how many Newton runs failed (failure is reported, not hidden). */
    public record Result(List<FixedPoint> points, long failedRuns) {
        /** The point nearest the origin (smallest Euclidean norm), or null when none was found. */
        public FixedPoint nearestOrigin() {
            FixedPoint best = null;
            double bestNorm = Double.POSITIVE_INFINITY;
            for (FixedPoint p : points) {
                double n = 0;
                for (double v : p.state()) {
                    n += v * v;
                }
                if (n < bestNorm) {
                    bestNorm = n;
                    best = p;
                }
            }
            return best;
        }
    }

    /** f(h, x) and its Jacobian df/dh (row-major H x H) at one state; x null means zero input. */
    public static double[][] stepAndJacobian(Model model, double[] h, double[] x) {
        int n = model.stateWidth();
        if (h.length != n) {
            throw new InvalidInputException("state has " + h.length + " values but H = " + n);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = NativeModel.create(model, arena);
            MemorySegment hs = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, h);
            MemorySegment xs = x == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_DOUBLE, x);
            MemorySegment f = arena.allocate(ValueLayout.JAVA_DOUBLE, n),
                    jac = arena.allocate(ValueLayout.JAVA_DOUBLE, (long) n * n);
            NativeLibrary.check(Ntk4jNative.ntk4j_model_step(m, hs, 1, xs, f, jac), "step");
            return new double[][] {f.toArray(ValueLayout.JAVA_DOUBLE), jac.toArray(ValueLayout.JAVA_DOUBLE)};
        }
    }

    /** Row {@code p} of a segment of rows of {@code len} doubles, as an array. */
    private static double[] slice(MemorySegment rows, int p, long len) {
        return rows.asSlice(p * len * Double.BYTES, len * Double.BYTES).toArray(ValueLayout.JAVA_DOUBLE);
    }

    /** Finds the fixed points of {@code model} under the constant input {@code xBar} ([N], or null for zero). */
    public static Result find(Model model, double[] xBar, Options o) {
        int h = model.stateWidth();
        if (xBar != null && xBar.length != model.inputSize()) {
            throw new InvalidInputException(
                    "x_bar has " + xBar.length + " values but the model's input_size is " + model.inputSize());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = NativeModel.create(model, arena);
            MemorySegment opts = ntk4j_fixed_point_options.allocate(arena);
            ntk4j_fixed_point_options.starts(opts, o.starts());
            ntk4j_fixed_point_options.rollout_steps(opts, o.rolloutSteps());
            ntk4j_fixed_point_options.max_iterations(opts, o.maxIterations());
            ntk4j_fixed_point_options.tol(opts, o.tol());
            ntk4j_fixed_point_options.init_scale(opts, o.initScale());
            ntk4j_fixed_point_options.seed(opts, o.seed());
            MemorySegment x = xBar == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_DOUBLE, xBar);
            MemorySegment found = arena.allocate(ValueLayout.JAVA_LONG), failed = arena.allocate(ValueLayout.JAVA_LONG);
            long capacity = 4L * o.starts() + 8; // room for every start's point (deduplicated natively)
            io.ntk4j.Ntk4j.requireMemory(
                    (double) capacity * h * Double.BYTES, "the fixed points of " + o.starts() + " starts");
            MemorySegment pts = arena.allocate(ValueLayout.JAVA_DOUBLE, (long) capacity * h);
            NativeLibrary.check(
                    Ntk4jNative.ntk4j_fixed_points(m, x, opts, capacity, pts, found, failed), "fixed points");
            int n = (int) Math.min(found.get(ValueLayout.JAVA_LONG, 0), capacity);
            List<FixedPoint> out = new ArrayList<>();
            if (n > 0) { // every point's Jacobian and its eigen-decomposition in one native call
                long hh = (long) h * h;
                MemorySegment jac = arena.allocate(ValueLayout.JAVA_DOUBLE, n * hh);
                MemorySegment re = arena.allocate(ValueLayout.JAVA_DOUBLE, (long) n * h),
                        im = arena.allocate(ValueLayout.JAVA_DOUBLE, (long) n * h);
                MemorySegment left = arena.allocate(ValueLayout.JAVA_DOUBLE, n * hh),
                        right = arena.allocate(ValueLayout.JAVA_DOUBLE, n * hh);
                NativeLibrary.check(
                        Ntk4jNative.ntk4j_fixed_point_spectra(m, x, pts, n, jac, re, im, left, right),
                        "fixed-point spectra");
                for (int p = 0; p < n; p++) {
                    out.add(new FixedPoint(
                            slice(pts, p, h),
                            slice(jac, p, hh),
                            slice(re, p, h),
                            slice(im, p, h),
                            slice(left, p, hh),
                            slice(right, p, hh)));
                }
            }
            return new Result(out, failed.get(ValueLayout.JAVA_LONG, 0));
        }
    }
}
