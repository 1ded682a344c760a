package io.ntk4j.experiments;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.EffectiveDims;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.spectral.PartialEffectiveDims;
import io.ntk4j.spectral.RankEstimates;
import io.ntk4j.spectral.RankOptions;
import io.ntk4j.spectral.Reduction;
import io.ntk4j.spectral.SpectrumAnalysis;
import io.ntk4j.spectral.Traces;
import java.lang.foreign.Arena;

/**
 * One point of a sweep (the Global-NTK paper's weight-scale sweep, or a path of checkpoints): the
 * effective rank and partial effective dimensions of K, P P* or NTK_S, with, for K of
 * {@code rnn_leaky}, the Kronecker-core prediction alongside.
 *
 * <p>Partial effective dimensions follow {@code spectrum} and the public reference: for the
 * operator A (K, P or NTK_S) the Gram G = A A* is reduced to the kept axis (true partial trace, or
 * kpflow's broadcast-reduce) and PR = (tr M)^2 / ||M||_F^2 is taken. For {@code rnn_leaky},
 * K = dt^2 (Gamma (x) I_H) with Gamma = A A^T the Gram of the activities a = [tanh(h_{t-1}); x_t]
 * over (b, t) (DESIGN.md, "Kronecker core of K"), so G = K^2 = dt^4 (Gamma^2 (x) I_H) and the
 * dimensions follow from Gamma alone: keep-hidden is H, keep-batch and keep-time are the PR of
 * Gamma^2 reduced over the other axis (summed over equal indices for the true partial trace, over
 * all pairs for kpflow's), and keep-(b, t) is PR(Gamma^2) = ||Gamma||_F^4 / ||Gamma^2||_F^2, the
 * reference's "theory" curve.
 *
 * {@snippet :
 * for (double g : Sweep.values("0:3:7")) {
 *   Sweep.Point p = Sweep.analyze(0, g, "g=" + g, model.withGain(g), inputs, SpectrumAnalysis.Target.K, true, 0, 1);
 *   System.out.println(g + " " + p.dims()[1] + " vs Kronecker " + p.prediction().time());
 * }
 * }
 */
public final class Sweep {
    private Sweep() {}

    /** Kronecker-core predictions for K of rnn_leaky (null fields elsewhere). */
    public record Prediction(
            double batch, double time, double hidden, double batchKpflow, double timeKpflow, double prGammaSquared)
            implements java.io.Serializable {}

    /**
     * One finished point. {@code worstRelativeError} is the largest standard error of its randomized
     * estimates relative to the estimate (0 when exact); {@code accuracyMet} says whether they all
     * reached the 1 % target within the probe budget.
     */
    public record Point(
            int index,
            double parameter,
            String label,
            double effectiveRank,
            double[] dims,
            double[] dimsKpflow,
            Prediction prediction,
            double worstRelativeError,
            boolean accuracyMet,
            double seconds)
            implements java.io.Serializable {}

    /**
     * Where a sweep's points run when not in this process: each {@link #analyze} call is one point,
     * the same computation as {@link Sweep#analyze} on {@link RunnerFactory#open}'s inputs (so the same numbers),
     * made elsewhere; calls may come from several threads at once, up to {@link #parallelism()}.
     */
    public interface Runner extends AutoCloseable {
        /** Points worth running at once. */
        int parallelism();

        Point analyze(
                int index,
                double parameter,
                String label,
                Model m,
                SpectrumAnalysis.Target op,
                boolean exact,
                long probes,
                long seed);

        @Override
        void close();
    }

    /**
     * A kind of {@link Runner}, found with {@link java.util.ServiceLoader} (ntk4j-spark provides
     * {@code spark}: {@code ./ntk4j sweep --spark MASTER}).
     */
    public interface RunnerFactory {
        /** The runner's name, e.g. {@code spark}. */
        String name();

        /** A runner on {@code master} (for Spark: local[n], spark://host:port, yarn, ...) for these inputs. */
        Runner open(String master, Tensor inputs);
    }

    /**
     * Analyses one model: exact (dense, small state spaces) or randomized, like {@code spectrum}'s
     * defaults: the top eigenvectors (up to 10) by Lanczos, then the effective rank and the true
     * partial dimensions exact on them and sampled for the rest to a 1 % standard error (at least
     * {@code probes} probes, at most max(probes, 4096)); kpflow's reduction exactly.
     */
    public static Point analyze(
            int index,
            double parameter,
            String label,
            Model m,
            Tensor inputs,
            SpectrumAnalysis.Target op,
            boolean exact,
            long probes,
            long seed) {
        long t0 = System.nanoTime();
        try (Session s = Session.open(m, inputs)) {
            LinearOperator a = switch (op) {
                case K -> s.K();
                case P -> s.P();
                case PPT -> s.P().gram();
                case NTK -> s.ntk();
                case NTK_Y -> s.ntkOutputs();
                case NTK_H -> s.ntkObserved();
            };
            long width = op.width(s);
            double er;
            double worst = 0;
            boolean met = true;
            PartialEffectiveDims d;
            PartialEffectiveDims dk;
            if (exact) {
                if (op == SpectrumAnalysis.Target.P) {
                    try (LinearOperator ppt = s.P().compose(s.Pt())) {
                        er = Traces.exact(ppt).effectiveRank().value();
                    }
                } else {
                    er = Traces.exact(a).effectiveRank().value();
                }
                d = EffectiveDims.partial(
                        a, s.batch(), s.steps(), width, Reduction.TRUE_PARTIAL_TRACE, true, 0, 0, seed);
                dk = EffectiveDims.partial(a, s.batch(), s.steps(), width, Reduction.KPFLOW, true, 1, 0, seed);
            } else {
                long n = s.batch() * s.steps() * width;
                EigsOptions eo = EigsOptions.top((int) Math.max(1, Math.min(10, n - 1)))
                        .withSeed(seed)
                        .withVectors(true);
                RankOptions ro = new RankOptions(
                        RankOptions.DEFAULT_ACCURACY,
                        Math.max(8, probes),
                        Math.max(probes, RankOptions.DEFAULT_MAX_SAMPLES),
                        seed,
                        true,
                        true,
                        false);
                // spectrum's own analysis (the singular values themselves are not reported here).
                SpectrumAnalysis.Result res = SpectrumAnalysis.run(s, op, eo, ro, false);
                RankEstimates r = res.ranks();
                dk = res.dimsKpflow();
                er = r.effectiveRank().value();
                d = res.partialDims();
                worst = res.worstRelativeError();
                met = res.accuracyMet();
            }
            Prediction pred = op == SpectrumAnalysis.Target.K && m.cell() == CellKind.RNN_LEAKY && !m.bias()
                    ? kronecker(s, inputs)
                    : null;
            return new Point(
                    index,
                    parameter,
                    label,
                    er,
                    new double[] {
                        d.batch().value(), d.time().value(), d.hidden().value()
                    },
                    new double[] {
                        dk.batch().value(), dk.time().value(), dk.hidden().value()
                    },
                    pred,
                    worst,
                    met,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /** The Kronecker-core prediction of K's partial effective dimensions (rnn_leaky, see the class doc). */
    static Prediction kronecker(Session s, Tensor inputs) {
        int b = (int) s.batch(), t = (int) s.steps(), h = (int) s.hiddenSize(), n = (int) s.inputSize(), bt = b * t;
        double[] h0 = s.initialState();
        double[][] a = new double[bt][h + n];
        try (Arena arena = Arena.ofConfined()) {
            Tensor hid = s.hidden(arena);
            for (int bi = 0; bi < b; bi++) {
                for (int ti = 0; ti < t; ti++) {
                    double[] row = a[bi * t + ti];
                    for (int i = 0; i < h; i++) {
                        double prev = ti == 0 ? h0[bi * h + i] : hid.get(bi, ti - 1, i);
                        row[i] = Math.tanh(prev);
                    }
                    for (int j = 0; j < n; j++) {
                        row[h + j] = inputs.get(bi, ti, j);
                    }
                }
            }
        }
        double[][] gamma = new double[bt][bt];
        for (int i = 0; i < bt; i++) {
            for (int j = 0; j <= i; j++) {
                double v = 0;
                for (int k = 0; k < h + n; k++) {
                    v += a[i][k] * a[j][k];
                }
                gamma[i][j] = gamma[j][i] = v;
            }
        }
        double[][] g2 = new double[bt][bt];
        for (int i = 0; i < bt; i++) {
            for (int k = 0; k < bt; k++) {
                double gik = gamma[i][k];
                for (int j = 0; j < bt; j++) {
                    g2[i][j] += gik * gamma[k][j];
                }
            }
        }
        double[][] mb = new double[b][b], mbk = new double[b][b], mt = new double[t][t], mtk = new double[t][t];
        for (int b1 = 0; b1 < b; b1++) {
            for (int t1 = 0; t1 < t; t1++) {
                for (int b2 = 0; b2 < b; b2++) {
                    for (int t2 = 0; t2 < t; t2++) {
                        double v = g2[b1 * t + t1][b2 * t + t2];
                        mbk[b1][b2] += v;
                        mtk[t1][t2] += v;
                        if (t1 == t2) {
                            mb[b1][b2] += v;
                        }
                        if (b1 == b2) {
                            mt[t1][t2] += v;
                        }
                    }
                }
            }
        }
        return new Prediction(pr(mb), pr(mt), h, pr(mbk), pr(mtk), pr(g2));
    }

    /** (tr M)^2 / ||M||_F^2 of a symmetric matrix. */
    static double pr(double[][] m) {
        double tr = 0, f = 0;
        for (int i = 0; i < m.length; i++) {
            tr += m[i][i];
            for (double v : m[i]) {
                f += v * v;
            }
        }
        return tr * tr / f;
    }

    /** Parses "a:b:n" (n values from a to b inclusive) or a comma-separated list. */
    public static double[] values(String spec) {
        try {
            if (spec.contains(":")) {
                String[] p = spec.split(":");
                if (p.length != 3) {
                    throw new InvalidInputException("--values a:b:n needs three fields, got \"" + spec + "\"");
                }
                double a = Double.parseDouble(p[0]), b = Double.parseDouble(p[1]);
                int n = Integer.parseInt(p[2].strip());
                if (n < 1 || n > 100000) {
                    throw new InvalidInputException("--values a:b:n needs 1 <= n <= 100000, got " + n);
                }
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = n == 1 ? a : a + (b - a) * i / (n - 1);
                }
                return v;
            }
            String[] p = spec.split(",");
            double[] v = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                v[i] = Double.parseDouble(p[i].strip());
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidInputException(
                    "--values must be a:b:n or a comma-separated list of numbers, got \"" + spec + "\"");
        }
    }
}
