package io.ntk4j.experiments;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** The teacher and student networks of {@link StudentTeacher} and the pulse inputs they see. */
final class StudentTeacherModels {
    private StudentTeacherModels() {}

    /** W_hh = Q diag(leading, bulk) Q^T (Q random orthogonal), W_ih ~ N(0, 1), W_hh perturbed by {@code perturb}. */
    static Model build(StudentTeacher.Config c, SplittableRandom rng, double leading, double perturb) {
        int h = c.hidden();
        double[] q = orthogonal(h, rng);
        double[] lambda = new double[h];
        lambda[0] = leading;
        for (int i = 1; i < h; i++) {
            lambda[i] = c.bulkScale() * (2 * rng.nextDouble() - 1);
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
                for (int m = 0; m < h; m++) {
                    s += q[i * h + m] * lambda[m] * q[j * h + m];
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
        return Model.of(CellKind.fromId(c.cell()), h, 1, c.dt(), false, p);
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
