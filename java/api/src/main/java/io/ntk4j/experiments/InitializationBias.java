package io.ntk4j.experiments;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.Readout;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.Alignment;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.training.Loss;
import io.ntk4j.training.Optimizer;
import io.ntk4j.training.Trainer;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The Global-NTK paper's initialization bias as a measurement ("model dynamics at initialization
 * bias the NTK, restricting learning and preventing task components from being learned"), after
 * kpflow's {@code examples/mem_pro_init_example}: fixed points are planted in an rnn_leaky model
 * at initialization, and the target modes q_c = y*_c W_out[c, :] (kpflow: {@code targets @
 * Wout.weight}, one per output channel c, and their sum q) are scored by the Rayleigh quotient of
 * NTK_S normalized by its largest eigenvalue, R(q) = q^T NTK_S q / (||q||^2 lambda_max) in [0, 1],
 * before and after training; each channel's explained variance (R^2 of the readout against the
 * target) at the start and the end says which task components were learned. A small R means GD moves the state little along that target (DESIGN.md,
 * "Learning dynamics": the state moves by -lr NTK_S e per step).
 *
 * {@snippet :
 * Model planted = InitializationBias.plantFixedPoints(model, InitializationBias.randomPoints(5, 64, 3));
 * InitializationBias.Measurement m = InitializationBias.measure(session, readout, targets, 5);
 * double r = m.rayleigh()[m.rayleigh().length - 1];   // of the whole target mode q
 * }
 */
public final class InitializationBias {
    private InitializationBias() {}

    /** n points d ~ N(0, I_H), seeded (kpflow draws {@code torch.randn(256)} per point). */
    public static double[][] randomPoints(int n, int hidden, long seed) {
        if (n < 0 || hidden < 1) {
            throw new InvalidInputException("need n >= 0 points of H >= 1 entries, got n = " + n + ", H = " + hidden);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] d = new double[n][hidden];
        for (double[] p : d) {
            for (int i = 0; i < hidden; i++) {
                p[i] = rng.nextGaussian();
            }
        }
        return d;
    }

    /**
     * The model with W_hh changed so that every point d_i is a fixed point of the input-free
     * rnn_leaky flow, h = W_hh tanh(h): with Φ = [tanh d_1 ... tanh d_n] = Q R (Gram–Schmidt) and
     * D = [d_1 ... d_n], W' = D R^-1 Q^T + W (I - Q Q^T), so W' Φ = D exactly and W' equals W on
     * the complement of span Φ. For one point this is kpflow's {@code construct_model}; for several
     * kpflow applies that rank-one change point by point, which keeps the earlier points only
     * approximately (tanh d_i and tanh d_j are nearly orthogonal in high dimension), this keeps all.
     */
    public static Model plantFixedPoints(Model model, double[][] points) {
        if (model.cell() != CellKind.RNN_LEAKY) {
            throw new InvalidInputException("fixed points are planted in rnn_leaky (h = W_hh tanh(h) without input),"
                    + " not in " + model.cell().id());
        }
        int h = model.hiddenSize(), n = points.length;
        if (n == 0) {
            return model;
        }
        if (n > h) {
            throw new InvalidInputException("at most H = " + h + " fixed points can be planted, got " + n);
        }
        double[][] q = new double[n][];
        double[][] r = new double[n][n];
        for (int i = 0; i < n; i++) {
            if (points[i].length != h) {
                throw new InvalidInputException(
                        "fixed point " + i + " has " + points[i].length + " entries, the model H = " + h);
            }
            double[] v = new double[h];
            for (int j = 0; j < h; j++) {
                v[j] = Math.tanh(points[i][j]);
            }
            double before = Math.sqrt(dot(v, v));
            for (int pass = 0; pass < 2; pass++) { // Gram–Schmidt twice: orthogonal to round-off
                for (int k = 0; k < i; k++) {
                    double c = dot(q[k], v);
                    r[k][i] += c;
                    axpy(-c, q[k], v);
                }
            }
            double norm = Math.sqrt(dot(v, v));
            if (!(norm > 1e-10 * before)) {
                throw new InvalidInputException("fixed points " + i + " and an earlier one have (nearly) parallel "
                        + "tanh(d): they cannot both be planted");
            }
            r[i][i] = norm;
            for (int j = 0; j < h; j++) {
                v[j] /= norm;
            }
            q[i] = v;
        }
        // Z = D R^-1 (back substitution column by column: Z R = D), then W' = Z Q^T + W - (W Q) Q^T.
        double[][] z = new double[n][];
        for (int i = 0; i < n; i++) {
            double[] zi = points[i].clone();
            for (int k = 0; k < i; k++) {
                axpy(-r[k][i], z[k], zi);
            }
            for (int j = 0; j < h; j++) {
                zi[j] /= r[i][i];
            }
            z[i] = zi;
        }
        double[] w = model.parameter("weight_hh");
        double[][] wq = new double[n][h];
        for (int k = 0; k < n; k++) {
            for (int a = 0; a < h; a++) {
                double s = 0;
                for (int b = 0; b < h; b++) {
                    s += w[a * h + b] * q[k][b];
                }
                wq[k][a] = s;
            }
        }
        for (int a = 0; a < h; a++) {
            for (int b = 0; b < h; b++) {
                double s = w[a * h + b];
                for (int k = 0; k < n; k++) {
                    s += (z[k][a] - wq[k][a]) * q[k][b];
                }
                w[a * h + b] = s;
            }
        }
        Map<String, double[]> all = new LinkedHashMap<>();
        for (String name : model.parameterNames()) {
            all.put(name, name.equals("weight_hh") ? w : model.parameter(name));
        }
        return model.withParameters(all);
    }

    /** ||W_hh tanh(d_i) - d_i|| / ||d_i|| per point: 0 (to round-off) for planted points. */
    public static double[] fixedPointResiduals(Model model, double[][] points) {
        int h = model.hiddenSize();
        double[] w = model.parameter("weight_hh");
        double[] out = new double[points.length];
        for (int i = 0; i < points.length; i++) {
            double num = 0, den = 0;
            for (int a = 0; a < h; a++) {
                double s = -points[i][a];
                for (int b = 0; b < h; b++) {
                    s += w[a * h + b] * Math.tanh(points[i][b]);
                }
                num += s * s;
                den += points[i][a] * points[i][a];
            }
            out[i] = Math.sqrt(num / den);
        }
        return out;
    }

    /**
     * @param lambdaMax NTK_S's largest eigenvalue
     * @param rayleigh R(q_c) per output channel c, then R(q) of the whole target mode (O + 1 values;
     *     NaN for a channel whose target is zero)
     * @param topShares per channel and for q, the share of q_c in NTK_S's top j eigenvectors, j = 1..top
     * @param channelLoss the mse of each output channel over (b, t)
     * @param targetVariance the variance of each channel's target over (b, t)
     * @param loss the mse over all channels (the training loss)
     */
    public record Measurement(
            double lambdaMax,
            double[] rayleigh,
            double[][] topShares,
            double[] channelLoss,
            double[] targetVariance,
            double loss) {
        /**
         * Per channel, 1 - loss / variance of its target (the coefficient of determination R^2):
         * 0 for a readout that predicts the channel's mean, 1 for a perfect fit; NaN for a constant target.
         */
        public double[] explainedVariance() {
            double[] r2 = new double[channelLoss.length];
            for (int c = 0; c < r2.length; c++) {
                r2[c] = targetVariance[c] > 0 ? 1 - channelLoss[c] / targetVariance[c] : Double.NaN;
            }
            return r2;
        }
    }

    /** The measurement on a session of an rnn_leaky model with its readout and targets [B, T, O]. */
    public static Measurement measure(Session s, Readout readout, Tensor targets, int top) {
        long b = s.batch(), t = s.steps();
        int h = readout.hiddenSize(), o = readout.outputSize();
        if (s.hiddenSize() != h) {
            throw new InvalidInputException("the readout has H = " + h + ", the session's state " + s.hiddenSize());
        }
        if (targets.dim(0) != b || targets.dim(1) != t || targets.dim(2) != o) {
            throw new InvalidInputException("targets must be [B, T, O] = [" + b + ", " + t + ", " + o + "]");
        }
        if (top < 1) {
            throw new InvalidInputException("top must be >= 1, got " + top);
        }
        try (Arena arena = Arena.ofConfined()) {
            double[] w = readout.weight(), bias = readout.bias();
            Tensor state = s.hidden(arena);
            double[] channelLoss = new double[o], mean = new double[o], variance = new double[o];
            Tensor[] q = new Tensor[o + 1];
            for (int c = 0; c <= o; c++) {
                q[c] = Tensor.allocate(arena, b, t, h);
            }
            for (long i = 0; i < b * t; i++) {
                for (int c = 0; c < o; c++) {
                    double y = bias[c];
                    for (int j = 0; j < h; j++) {
                        y += w[c * h + j] * state.getFlat(i * h + j);
                    }
                    double target = targets.getFlat(i * o + c), d = y - target;
                    channelLoss[c] += d * d / (b * t);
                    mean[c] += target / (b * t);
                    for (int j = 0; j < h; j++) { // q_c = y*_c W_out[c, :], q = sum_c q_c
                        q[c].setFlat(i * h + j, target * w[c * h + j]);
                        q[o].setFlat(i * h + j, q[o].getFlat(i * h + j) + target * w[c * h + j]);
                    }
                }
            }
            for (long i = 0; i < b * t; i++) { // two passes: the variance without cancellation
                for (int c = 0; c < o; c++) {
                    double d = targets.getFlat(i * o + c) - mean[c];
                    variance[c] += d * d / (b * t);
                }
            }
            EigenResult ev = Eigs.topOfGram(
                    s.P().compose(s.jtheta()), EigsOptions.top(top).withVectors(true));
            double lambdaMax = ev.values()[0];
            if (!(lambdaMax > 0) || !Double.isFinite(lambdaMax)) {
                throw new NumericalException(
                        "NTK_S's largest eigenvalue is " + lambdaMax + ": no Rayleigh quotient", 0);
            }
            double[] rayleigh = new double[o + 1];
            double[][] shares = new double[o + 1][];
            for (int c = 0; c <= o; c++) {
                double nn = 0;
                for (long i = 0; i < q[c].size(); i++) {
                    nn += q[c].getFlat(i) * q[c].getFlat(i);
                }
                if (!(nn > 0)) {
                    rayleigh[c] = Double.NaN;
                    shares[c] = new double[ev.values().length];
                    java.util.Arrays.fill(shares[c], Double.NaN);
                    continue;
                }
                Tensor kq = s.ntk().apply(q[c], arena);
                double qkq = 0;
                for (long i = 0; i < q[c].size(); i++) {
                    qkq += q[c].getFlat(i) * kq.getFlat(i);
                }
                rayleigh[c] = qkq / (nn * lambdaMax);
                shares[c] = Alignment.captured(ev.vectors(), q[c]);
            }
            double loss = 0;
            for (double l : channelLoss) {
                loss += l / o;
            }
            return new Measurement(lambdaMax, rayleigh, shares, channelLoss, variance, loss);
        }
    }

    /**
     * One case: the measurement at initialization, {@code steps} optimizer steps on the mse loss
     * (all of W_ih, W_hh and the readout trained, like kpflow's), and the measurement after.
     *
     * @param losses the training loss before each step, then after the last
     */
    public record Run(Measurement atInit, Measurement atEnd, double[] losses, Model trained, Readout trainedReadout) {}

    public static Run train(
            Model model, Readout readout, Tensor inputs, Tensor targets, Optimizer optimizer, int steps, int top) {
        if (steps < 1) {
            throw new InvalidInputException("steps must be >= 1, got " + steps);
        }
        Measurement init;
        try (Session s = Session.open(model, inputs)) {
            init = measure(s, readout, targets, top);
        }
        Trainer trainer = new Trainer(
                model, readout, inputs, targets, Loss.MSE, optimizer, Set.of("weight_ih", "weight_hh", "readout"));
        for (int i = 0; i < steps; i++) {
            trainer.step();
        }
        trainer.finish();
        Measurement end;
        try (Session s = Session.open(trainer.model(), inputs)) {
            end = measure(s, trainer.readout(), targets, top);
        }
        double[] losses =
                trainer.losses().stream().mapToDouble(Double::doubleValue).toArray();
        return new Run(init, end, losses, trainer.model(), trainer.readout());
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }
}
