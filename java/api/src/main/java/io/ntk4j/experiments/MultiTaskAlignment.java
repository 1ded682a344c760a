package io.ntk4j.experiments;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Readout;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.Alignment;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.lang.foreign.Arena;

/**
 * KPFlow's multi-task claim as a measurement: how the gradient-descent updates of the sub-tasks
 * align. With the mse loss on the readout, the explicit error on the state is e = W_out^T dL/dy
 * per step; e_k keeps the trials of sub-task k (zero elsewhere), and u_k = NTK_S e_k is the state
 * update GD makes for sub-task k alone (first order, per unit learning rate; DESIGN.md, "Learning
 * dynamics"). Reported: cos(u_0, u_1) (e_0 and e_1 live on disjoint trials, so any alignment is
 * made by the shared parameters), each u_k's share on the other sub-task's trials (cross-talk),
 * and each u_k's share in NTK_S's top eigenvectors.
 *
 * {@snippet :
 * MultiTaskAlignment.Result r = MultiTaskAlignment.measure(session, readout, targets, task, 5);
 * double cos = r.updateCosine();
 * }
 */
public final class MultiTaskAlignment {
    private MultiTaskAlignment() {}

    /**
     * @param updateNorms ||u_k||
     * @param crossTalk per k, ||u_k on the other sub-task's trials||^2 / ||u_k||^2
     * @param topShares per k, the cumulative share of u_k in NTK_S's top j eigenvectors, j = 1..top
     */
    public record Result(
            double loss,
            double[] taskLoss,
            double updateCosine,
            double[] updateNorms,
            double[] crossTalk,
            double[][] topShares,
            double[] ntkEigenvalues) {}

    /** The sub-task of each trial from a rule input channel (kpflow's mix: 0 or 1, its mean over time > 0.5). */
    public static int[] tasksFromRule(Tensor inputs, int channel) {
        long b = inputs.dim(0), t = inputs.dim(1), n = inputs.dim(2);
        if (channel < 0 || channel >= n) {
            throw new InvalidInputException("rule channel " + channel + " is not among the " + n + " input channels");
        }
        int[] task = new int[Math.toIntExact(b)];
        for (int i = 0; i < b; i++) {
            double m = 0;
            for (long s = 0; s < t; s++) {
                m += inputs.get(i, s, channel) / t;
            }
            task[i] = m > 0.5 ? 1 : 0;
        }
        return task;
    }

    /** The measurement on a session of the mixed inputs; {@code task[b]} is trial b's sub-task (0 or 1). */
    public static Result measure(Session s, Readout readout, Tensor targets, int[] task, int top) {
        long b = s.batch(), t = s.steps(), sw = s.hiddenSize();
        int h = readout.hiddenSize(), o = readout.outputSize();
        if (task.length != b) {
            throw new InvalidInputException("task ids for " + task.length + " trials, the batch has " + b);
        }
        if (targets.dim(0) != b || targets.dim(1) != t || targets.dim(2) != o) {
            throw new InvalidInputException("targets must be [B, T, O] = [" + b + ", " + t + ", " + o + "]");
        }
        int[] count = new int[2];
        for (int k : task) {
            if (k != 0 && k != 1) {
                throw new InvalidInputException("task ids must be 0 or 1, got " + k);
            }
            count[k]++;
        }
        if (count[0] == 0 || count[1] == 0) {
            throw new InvalidInputException("both sub-tasks need trials, got " + count[0] + " and " + count[1]);
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor state = s.hidden(arena);
            Tensor[] e = {Tensor.allocate(arena, b, t, sw), Tensor.allocate(arena, b, t, sw)};
            double[] w = readout.weight(), bias = readout.bias(), taskLoss = new double[2];
            double loss = 0, scale = 2.0 / (b * t * o);
            for (int i = 0; i < b; i++) {
                for (long s1 = 0; s1 < t; s1++) {
                    long row = (i * t + s1) * sw;
                    for (int c = 0; c < o; c++) {
                        double y = bias[c];
                        for (int j = 0; j < h; j++) {
                            y += w[c * h + j] * state.getFlat(row + j);
                        }
                        double d = y - targets.get(i, s1, c);
                        loss += d * d / (b * t * o);
                        taskLoss[task[i]] += d * d / ((double) count[task[i]] * t * o);
                        for (int j = 0; j < h; j++) { // e = W_out^T dL/dy on h (an LSTM's c: 0)
                            Tensor ek = e[task[i]];
                            ek.setFlat(row + j, ek.getFlat(row + j) + scale * d * w[c * h + j]);
                        }
                    }
                }
            }
            Tensor[] u = {s.ntk().apply(e[0], arena), s.ntk().apply(e[1], arena)};
            double dot = 0;
            double[] norm = new double[2], other = new double[2];
            for (int i = 0; i < b; i++) {
                for (long x = 0; x < t * sw; x++) {
                    long at = i * t * sw + x;
                    double a0 = u[0].getFlat(at), a1 = u[1].getFlat(at);
                    dot += a0 * a1;
                    norm[0] += a0 * a0;
                    norm[1] += a1 * a1;
                    other[0] += task[i] == 1 ? a0 * a0 : 0;
                    other[1] += task[i] == 0 ? a1 * a1 : 0;
                }
            }
            EigenResult ev = Eigs.topOfGram(
                    s.P().compose(s.jtheta()), EigsOptions.top(top).withVectors(true));
            double[][] shares = {Alignment.captured(ev.vectors(), u[0]), Alignment.captured(ev.vectors(), u[1])};
            return new Result(
                    loss,
                    taskLoss,
                    dot / Math.sqrt(norm[0] * norm[1]),
                    new double[] {Math.sqrt(norm[0]), Math.sqrt(norm[1])},
                    new double[] {other[0] / norm[0], other[1] / norm[1]},
                    shares,
                    ev.values());
        }
    }
}
