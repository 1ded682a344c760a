package io.ntk4j.dynamics;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Bifurcation tracking along a path of models (issue 4, DESIGN.md): at each point the fixed points
 * and, on the tracked branch, the critical eigenvalue lambda_c (the eigenvalue with |lambda|
 * closest to 1) and the distance to bifurcation mu = |lambda_c| - 1. A crossing is a sign change
 * of mu between consecutive points, classified by lambda_c there: real +1 (pitchfork when a
 * symmetric pair of fixed points appears or disappears, saddle-node for a non-symmetric pair,
 * transcritical when the count does not change), real -1 (flip), complex pair (Neimark-Sacker).
 *
 * {@snippet :
 * double[] gains = {0.5, 0.75, 1.0, 1.25, 1.5};
 * Bifurcations.Sweep s = Bifurcations.sweepGain(model, gains, null, FixedPoints.Options.defaults());
 * s.crossings().forEach(c -> System.out.println(c.kind() + " between g = " + c.before() + " and " + c.after()));
 * }
 */
public final class Bifurcations {
    private Bifurcations() {}

    /** The kinds of codimension-one crossings of a fixed point's spectrum through the unit circle. */
    public enum Kind {
        PITCHFORK,
        SADDLE_NODE,
        TRANSCRITICAL,
        FLIP,
        NEIMARK_SACKER
    }

    /** One point of the path: its parameter, fixed points, and the tracked branch's critical eigenvalue. */
    public record Point(
            double parameter,
            List<FixedPoints.FixedPoint> fixedPoints,
            FixedPoints.FixedPoint tracked,
            double criticalRe,
            double criticalIm,
            double mu) {}

    /** A crossing between two consecutive points of the path. */
    public record Crossing(Kind kind, double before, double after, double criticalRe, double criticalIm) {}

    public record Sweep(List<Point> points, List<Crossing> crossings) {}

    /**
     * Sweeps the gain g of W_hh (W_hh = g W_hh of {@code base}) over {@code gains} (increasing or
     * decreasing), tracking the branch that starts at the fixed point nearest the origin.
     */
    public static Sweep sweepGain(Model base, double[] gains, double[] xBar, FixedPoints.Options options) {
        if (gains.length < 2) {
            throw new InvalidInputException("a sweep needs at least 2 values, got " + gains.length);
        }
        List<Model> path = new ArrayList<>();
        for (double g : gains) {
            path.add(base.withGain(g));
        }
        return track(path, gains, xBar, options);
    }

    /** Tracks a path of models (e.g. training checkpoints) labelled by {@code parameters}. */
    public static Sweep track(List<Model> path, double[] parameters, double[] xBar, FixedPoints.Options options) {
        if (path.size() != parameters.length || path.size() < 2) {
            throw new InvalidInputException("a path needs >= 2 models, one parameter value each");
        }
        List<Point> points = new ArrayList<>();
        double[] previous = null;
        for (int i = 0; i < path.size(); i++) {
            FixedPoints.Result r = FixedPoints.find(path.get(i), xBar, options);
            if (r.points().isEmpty()) {
                throw new io.ntk4j.NumericalException(
                        "no fixed point found at parameter " + parameters[i] + " (" + r.failedRuns()
                                + " Newton runs failed)",
                        0);
            }
            FixedPoints.FixedPoint tracked = nearest(r.points(), previous);
            previous = tracked.state();
            int c = tracked.criticalIndex();
            points.add(new Point(
                    parameters[i],
                    r.points(),
                    tracked,
                    tracked.eigenvaluesRe()[c],
                    tracked.eigenvaluesIm()[c],
                    tracked.mu()));
        }
        List<Crossing> crossings = new ArrayList<>();
        for (int i = 1; i < points.size(); i++) {
            Point a = points.get(i - 1), b = points.get(i);
            // Inside (mu < 0) versus on or outside the unit circle: a point exactly at mu = 0 counts as
            // crossed, so a sweep through it reports one crossing, not two.
            if ((a.mu() < 0) == (b.mu() < 0)) {
                continue;
            }
            // The critical eigenvalue of the point closer to the circle characterizes the crossing.
            Point at = Math.abs(a.mu()) <= Math.abs(b.mu()) ? a : b;
            crossings.add(
                    new Crossing(classify(a, b, at), a.parameter(), b.parameter(), at.criticalRe(), at.criticalIm()));
        }
        return new Sweep(points, crossings);
    }

    private static Kind classify(Point a, Point b, Point at) {
        double scale = Math.hypot(at.criticalRe(), at.criticalIm());
        if (Math.abs(at.criticalIm()) > 1e-9 * Math.max(1, scale)) {
            return Kind.NEIMARK_SACKER;
        }
        if (at.criticalRe() < 0) {
            return Kind.FLIP;
        }
        int na = a.fixedPoints().size(), nb = b.fixedPoints().size();
        if (na == nb) {
            return Kind.TRANSCRITICAL;
        }
        // A pair appeared or disappeared: symmetric about the tracked point (h and 2 h_bar - h) for a pitchfork.
        List<FixedPoints.FixedPoint> more = na > nb ? a.fixedPoints() : b.fixedPoints();
        FixedPoints.FixedPoint centre = na > nb ? a.tracked() : b.tracked();
        for (FixedPoints.FixedPoint p : more) {
            if (p == centre) {
                continue;
            }
            boolean mirrored = false;
            for (FixedPoints.FixedPoint q : more) {
                if (q != p && distance(mirror(p.state(), centre.state()), q.state()) <= 1e-6 * (1 + norm(p.state()))) {
                    mirrored = true;
                    break;
                }
            }
            if (mirrored) {
                return Kind.PITCHFORK;
            }
        }
        return Kind.SADDLE_NODE;
    }

    private static double[] mirror(double[] p, double[] c) {
        double[] m = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            m[i] = 2 * c[i] - p[i];
        }
        return m;
    }

    private static FixedPoints.FixedPoint nearest(List<FixedPoints.FixedPoint> pts, double[] previous) {
        FixedPoints.FixedPoint best = pts.get(0); // sorted by norm: the one nearest the origin
        if (previous == null) {
            return best;
        }
        double bestD = Double.MAX_VALUE;
        for (FixedPoints.FixedPoint p : pts) {
            double d = distance(p.state(), previous);
            if (d < bestD) {
                bestD = d;
                best = p;
            }
        }
        return best;
    }

    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s = Math.max(s, Math.abs(a[i] - b[i]));
        }
        return s;
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double v : a) {
            s = Math.max(s, Math.abs(v));
        }
        return s;
    }
}
