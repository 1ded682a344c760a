package io.ntk4j.experiments;

import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.dynamics.Channel;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.dynamics.NormalForm;
import io.ntk4j.spectral.Eigs;
import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * The per-model analysis of the student-teacher experiment ({@link StudentTeacher#analyze}): the
 * origin's fixed point and its distance to bifurcation, the NTK_S spectrum and ranks, the
 * bifurcation channel, and the stable fixed points at zero input.
 */
final class StudentTeacherAnalysis {
    private StudentTeacherAnalysis() {}

    /** mu of the analysed fixed point ({@link #critical}) at zero input (NaN if Newton finds none). */
    static double criticalMu(Model m, String crossing) {
        try {
            return critical(m, crossing).mu();
        } catch (NumericalException e) {
            return Double.NaN;
        }
    }

    /**
     * The fixed point a crossing is watched at: the origin's branch (the point nearest 0) for the
     * crossings of the origin; for a saddle-node, which happens away from it, the stable fixed point
     * nearest the unit circle (after the fold, the newborn node), or the origin's branch if none is stable.
     */
    static FixedPoints.FixedPoint critical(Model m, String crossing) {
        return crossing.equals("saddle_node") ? critical(m, allFixedPoints(m)) : origin(m);
    }

    /** The saddle-node's watched point among {@code all}: the stable one nearest the circle, else the origin's. */
    private static FixedPoints.FixedPoint critical(Model m, FixedPoints.Result all) {
        FixedPoints.FixedPoint best = null;
        for (FixedPoints.FixedPoint p : all.points()) {
            if (p.stable() && (best == null || p.mu() > best.mu())) {
                best = p;
            }
        }
        return best != null ? best : origin(m);
    }

    private static FixedPoints.FixedPoint origin(Model m) {
        FixedPoints.Result r = FixedPoints.find(m, null, new FixedPoints.Options(4, 0, 50, 1e-12, 1e-3, 1));
        FixedPoints.FixedPoint best = r.nearestOrigin();
        if (best == null) {
            throw new NumericalException(
                    "Newton found no fixed point near the origin (" + r.failedRuns() + " runs failed)", 0);
        }
        return best;
    }

    /** The analysis of one student model on the inputs (loss filled in by the caller). */
    static StudentTeacher.Record analyze(Model m, Tensor x, int step, double loss, String crossing) {
        FixedPoints.Result all = allFixedPoints(m); // the stable count's search, reused by the saddle-node
        FixedPoints.FixedPoint p = crossing.equals("saddle_node") ? critical(m, all) : origin(m);
        // The saddle-node shares the pitchfork's +1 eigenvalue; only the experiment knows which it watches.
        NormalForm form = crossing.equals("saddle_node") && NormalForm.of(p) == NormalForm.PITCHFORK
                ? NormalForm.SADDLE_NODE
                : NormalForm.of(p);
        int ci = p.criticalIndex();
        double lambdaC = p.eigenvaluesRe()[ci];
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(m, x);
                LinearOperator j = s.P().compose(s.jtheta());
                LinearOperator jt = j.adjoint();
                LinearOperator g = jt.gram()) {
            // The nonzero spectrum of NTK_S = J J^T is that of J^T J (parameters x parameters).
            double[] ev = Eigs.exact(g);
            double s1 = 0, s2 = 0, s4 = 0;
            for (double v : ev) {
                double l = Math.max(v, 0);
                s1 += l;
                s2 += l * l;
                s4 += l * l * l * l;
            }
            double[] top = Arrays.copyOf(ev, Math.min(5, ev.length));
            double share = Double.NaN, chan = Double.NaN, cosTop = Double.NaN, cosNf = Double.NaN;
            {
                try {
                    Channel.Result cr = Channel.of(s, p, null, arena, s1, form);
                    share = cr.shareOfTrace();
                    chan = cr.channelEigenvalue();
                    cosTop = cr.cosineWithTopEigenvector();
                    cosNf = cr.normalFormCosine();
                } catch (NumericalException e) {
                    // e.g. I - J_bar singular (lambda_c = 1 exactly): the channel is undefined at this record
                }
            }
            return new StudentTeacher.Record(
                    step,
                    loss,
                    lambdaC,
                    p.mu(),
                    s1 * s1 / s2,
                    s2 * s2 / s4,
                    top,
                    s1,
                    chan,
                    share,
                    cosTop,
                    cosNf,
                    stableFixedPoints(all),
                    p.eigenvaluesIm()[ci]);
        }
    }

    /** The fixed points at zero input found from 16 rollouts of 500 steps (then Newton). */
    private static FixedPoints.Result allFixedPoints(Model m) {
        return FixedPoints.find(m, null, FixedPoints.Options.defaults());
    }

    /** How many of {@code all} are stable. */
    static int stableFixedPoints(FixedPoints.Result all) {
        int n = 0;
        for (FixedPoints.FixedPoint p : all.points()) {
            if (p.stable()) {
                n++;
            }
        }
        return n;
    }
}
