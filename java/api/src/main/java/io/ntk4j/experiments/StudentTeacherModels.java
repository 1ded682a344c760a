package io.ntk4j.experiments;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** The teacher and student networks of {@link StudentTeacher} and the pulse inputs they see. */
final class StudentTeacherModels {
    private StudentTeacherModels() {}

    /** The crossings the experiment builds (Config.crossing). */
    static final java.util.List<String> CROSSINGS =
            java.util.List.of("pitchfork", "flip", "neimark_sacker", "saddle_node");

    /**
     * The gains, rotation and bias a crossing needs, as the origin's Jacobian J(0) = (1 - dt) I +
     * dt W_hh (rnn_leaky) or W_hh (rnn_elman) sees them, with lambda = g (or g e^(+-i rotation)) W_hh's
     * leading eigenvalue: the teacher past the crossing, the student before it.
     */
    static void checkCrossing(
            String cell, double dt, double teacher, double student, String crossing, double rotation, double bias) {
        if (crossing == null || !CROSSINGS.contains(crossing)) {
            throw new InvalidInputException("crossing must be one of " + CROSSINGS + ", got " + crossing);
        }
        if (!Double.isFinite(teacher) || !Double.isFinite(student)) {
            throw new InvalidInputException("teacherGain and studentGain must be finite numbers");
        }
        double d = cell.equals("rnn_elman") ? 1 : dt;
        boolean rotating = crossing.equals("neimark_sacker");
        if (rotating != (rotation != 0) || !(rotation >= 0 && rotation < Math.PI)) {
            throw new InvalidInputException("rotation (the angle of W_hh's leading pair) must be in (0, pi) for a"
                    + " neimark_sacker crossing and 0 otherwise, got " + rotation);
        }
        if (crossing.equals("saddle_node") != (bias > 0) || !Double.isFinite(bias)) {
            throw new InvalidInputException("studentBias (the student's bias along the leading eigenvector) must be > 0"
                    + " for a saddle_node crossing and 0 otherwise, got " + bias);
        }
        String what = switch (crossing) {
            case "pitchfork" ->
                teacher > 1 && student > 0 && student < 1
                        ? null
                        : "teacherGain > 1 (past the pitchfork) and studentGain in (0, 1)";
            case "flip" ->
                d == 1 && teacher < -1 && student < 0 && student > -1
                        ? null
                        : "an origin Jacobian equal to W_hh (rnn_elman, or rnn_leaky with dt = 1), teacherGain < -1 (past"
                                + " the flip) and studentGain in (-1, 0)";
            case "neimark_sacker" ->
                modulus(d, teacher, rotation) > 1 && modulus(d, student, rotation) < 1 && student > 0
                        ? null
                        : "|1 - dt + dt g e^(i rotation)| > 1 for g = teacherGain and < 1 for g = studentGain > 0 (got "
                                + modulus(d, teacher, rotation) + " and " + modulus(d, student, rotation) + ")";
            default ->
                teacher > 1 && student > 1
                        ? null
                        : "teacherGain > 1 and studentGain > 1 (both bistable without bias; the student's bias keeps it"
                                + " monostable until training removes it)";
        };
        if (what != null) {
            throw new InvalidInputException("a " + crossing + " crossing needs " + what + "; got teacherGain " + teacher
                    + ", studentGain " + student);
        }
    }

    /** |lambda(J(0))| for W_hh's leading eigenvalue g e^(i rotation). */
    static double modulus(double dt, double g, double rotation) {
        return Math.hypot(1 - dt + dt * g * Math.cos(rotation), dt * g * Math.sin(rotation));
    }

    /**
     * W_hh = Q B Q^T (Q random orthogonal; B = diag(leading, bulk), or with the 2 x 2 block
     * leading R(rotation) in its first two rows and columns), W_ih ~ N(0, 1), W_hh perturbed by
     * {@code perturb}; the bias {@code bias} Q[:, 0] in bias_hh when {@code withBias}.
     */
    static Model build(StudentTeacher.Config c, SplittableRandom rng, double leading, double perturb, double bias) {
        int h = c.hidden();
        double[] q = orthogonal(h, rng);
        double[] lambda = new double[h];
        lambda[0] = leading;
        for (int i = 1; i < h; i++) {
            lambda[i] = c.bulkScale() * (2 * rng.nextDouble() - 1);
        }
        double rot = c.rotation();
        double[] blockB = new double[h * h];
        for (int i = 0; i < h; i++) {
            blockB[i * h + i] = lambda[i];
        }
        if (rot != 0) {
            blockB[0] = leading * Math.cos(rot);
            blockB[1] = -leading * Math.sin(rot);
            blockB[h] = leading * Math.sin(rot);
            blockB[h + 1] = leading * Math.cos(rot);
        }
        double[] wih = new double[h];
        for (int i = 0; i < h; i++) {
            wih[i] = rng.nextGaussian();
        }
        // The student's perturbation draws from a generator of its own so that teacher and student
        // share Q, the bulk and W_ih exactly.
        SplittableRandom noise = rng.split();
        double[] whh = new double[h * h];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < h; j++) {
                double s = 0;
                if (rot == 0) {
                    for (int m = 0; m < h; m++) {
                        s += q[i * h + m] * lambda[m] * q[j * h + m];
                    }
                } else {
                    for (int m = 0; m < h; m++) {
                        for (int l = 0; l < h; l++) {
                            s += q[i * h + m] * blockB[m * h + l] * q[j * h + l];
                        }
                    }
                }
                whh[i * h + j] = s;
            }
        }
        if (perturb > 0) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j <= i; j++) {
                    double e = perturb * noise.nextGaussian() / Math.sqrt(h);
                    whh[i * h + j] += e;
                    if (j != i) {
                        whh[j * h + i] += e;
                    }
                }
            }
        }
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", wih);
        p.put("weight_hh", whh);
        boolean withBias = c.crossing().equals("saddle_node");
        if (withBias) {
            double[] bhh = new double[h];
            for (int i = 0; i < h; i++) {
                bhh[i] = bias * q[i * h];
            }
            p.put("bias_ih", new double[h]);
            p.put("bias_hh", bhh);
        }
        return Model.of(CellKind.fromId(c.cell()), h, 1, c.dt(), withBias, p);
    }

    /** Columns of a random orthogonal matrix (row-major), by Gram-Schmidt on Gaussian columns. */
    private static double[] orthogonal(int h, SplittableRandom rng) {
        double[] q = new double[h * h];
        for (int j = 0; j < h; j++) {
            double[] v = new double[h];
            for (int i = 0; i < h; i++) {
                v[i] = rng.nextGaussian();
            }
            for (int pass = 0; pass < 2; pass++) {
                for (int m = 0; m < j; m++) {
                    double d = 0;
                    for (int i = 0; i < h; i++) {
                        d += q[i * h + m] * v[i];
                    }
                    for (int i = 0; i < h; i++) {
                        v[i] -= d * q[i * h + m];
                    }
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < h; i++) {
                q[i * h + j] = v[i] / norm;
            }
        }
        return q;
    }

    /** Inputs [B, T, 1]: a pulse of random sign and amplitude in [0.5, 1.5] pulse for pulseSteps, then 0. */
    static Tensor inputs(StudentTeacher.Config c, long seed, Arena arena) {
        SplittableRandom rng = new SplittableRandom(seed * 7919 + 17);
        Tensor x = Tensor.allocate(arena, c.batch(), c.steps(), 1);
        for (int b = 0; b < c.batch(); b++) {
            double a = (b % 2 == 0 ? 1 : -1) * c.pulse() * (0.5 + rng.nextDouble());
            for (int t = 0; t < c.pulseSteps(); t++) {
                x.set(a, b, t, 0);
            }
        }
        return x;
    }
}
