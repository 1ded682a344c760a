package io.ntk4j.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.training.Optimizer;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Planted fixed points exactly, and the Rayleigh quotients against the dense NTK_S. */
class InitializationBiasTest {
    private static final int H = 6, N = 3, O = 2, B = 3, T = 5;

    private static Model leaky(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(false)) {
            double[] v = new double[(int) Tensor.elementCount(Model.parameterShape(CellKind.RNN_LEAKY, H, N, name))];
            for (int i = 0; i < v.length; i++) {
                v[i] = rng.nextGaussian() / Math.sqrt(name.equals("weight_hh") ? H : N);
            }
            p.put(name, v);
        }
        return Model.of(CellKind.RNN_LEAKY, H, N, 0.3, false, p);
    }

    private static Readout readout(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] w = new double[O * H], b = new double[O];
        for (int i = 0; i < w.length; i++) {
            w[i] = rng.nextGaussian() / Math.sqrt(H);
        }
        b[1] = 0.2;
        return new Readout(O, H, w, b);
    }

    private static double[] times(double[] w, double[] v) {
        double[] out = new double[H];
        for (int a = 0; a < H; a++) {
            for (int b = 0; b < H; b++) {
                out[a] += w[a * H + b] * v[b];
            }
        }
        return out;
    }

    @Test
    void plantedPointsAreFixedAndTheRestOfWhhIsKept() {
        Model m = leaky(1);
        double[][] d = InitializationBias.randomPoints(3, H, 7);
        Model planted = InitializationBias.plantFixedPoints(m, d);
        for (double r : InitializationBias.fixedPointResiduals(planted, d)) {
            assertThat(r).isLessThan(1e-13);
        }
        // Not fixed before planting.
        assertThat(InitializationBias.fixedPointResiduals(m, d)[0]).isGreaterThan(0.1);
        // On a vector orthogonal to every tanh(d_i), W' acts as W: v = e_0 minus its projection.
        double[][] phi = new double[3][H];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < H; j++) {
                phi[i][j] = Math.tanh(d[i][j]);
            }
        }
        // An orthonormal basis u of span(phi) (Gram–Schmidt, twice), then v = e_0 without its part in it.
        double[][] u = new double[3][];
        for (int i = 0; i < 3; i++) {
            double[] ui = phi[i].clone();
            for (int pass = 0; pass < 2; pass++) {
                for (int k = 0; k < i; k++) {
                    double c = dotOf(u[k], ui);
                    for (int j = 0; j < H; j++) {
                        ui[j] -= c * u[k][j];
                    }
                }
            }
            double nn = Math.sqrt(dotOf(ui, ui));
            for (int j = 0; j < H; j++) {
                ui[j] /= nn;
            }
            u[i] = ui;
        }
        double[] v = new double[H];
        v[0] = 1;
        for (int pass = 0; pass < 2; pass++) {
            for (double[] ui : u) {
                double c = dotOf(ui, v);
                for (int j = 0; j < H; j++) {
                    v[j] -= c * ui[j];
                }
            }
        }
        double[] before = times(m.parameter("weight_hh"), v), after = times(planted.parameter("weight_hh"), v);
        for (int j = 0; j < H; j++) {
            assertThat(after[j]).isCloseTo(before[j], Offset.offset(1e-12));
        }
        // One point: kpflow's rank-one formula W' = d phi^T / |phi|^2 + W (I - phi phi^T / |phi|^2).
        Model one = InitializationBias.plantFixedPoints(m, new double[][] {d[0]});
        double[] w = m.parameter("weight_hh"), w1 = one.parameter("weight_hh"), wp = times(w, phi[0]);
        double pp = 0;
        for (double x : phi[0]) {
            pp += x * x;
        }
        for (int a = 0; a < H; a++) {
            for (int b = 0; b < H; b++) {
                double want = (d[0][a] * phi[0][b] - wp[a] * phi[0][b]) / pp + w[a * H + b];
                assertThat(w1[a * H + b]).isCloseTo(want, Offset.offset(1e-13));
            }
        }
        assertThat(InitializationBias.plantFixedPoints(m, new double[0][])).isSameAs(m);
    }

    @Test
    void rayleighQuotientsAndLossesMatchTheDenseNtk() {
        Model m = InitializationBias.plantFixedPoints(leaky(2), InitializationBias.randomPoints(2, H, 3));
        Readout r = readout(4);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 5, 1.0, B, T, N), y = Tensor.gaussian(arena, 6, 1.0, B, T, O);
            for (int i = 0; i < B * T; i++) { // channel 1's target is zero on the first trial
                if (i < T) {
                    y.setFlat(i * O + 1, 0);
                }
            }
            try (Session s = Session.open(m, x)) {
                InitializationBias.Measurement meas = InitializationBias.measure(s, r, y, 3);
                double[] ntk = s.ntk().toDense();
                double lambdaMax = Eigs.exact(s.ntk())[0];
                assertThat(meas.lambdaMax()).isCloseTo(lambdaMax, Offset.offset(1e-10 * lambdaMax));
                Tensor hid = s.hidden(arena);
                int n = B * T * H;
                double[] w = r.weight();
                double[][] q = new double[O + 1][n];
                double[] loss = new double[O];
                for (int i = 0; i < B * T; i++) {
                    for (int c = 0; c < O; c++) {
                        double out = r.bias()[c];
                        for (int j = 0; j < H; j++) {
                            out += w[c * H + j] * hid.getFlat((long) i * H + j);
                            q[c][i * H + j] = y.getFlat((long) i * O + c) * w[c * H + j];
                            q[O][i * H + j] += q[c][i * H + j];
                        }
                        double e = out - y.getFlat((long) i * O + c);
                        loss[c] += e * e / (B * T);
                    }
                }
                for (int c = 0; c <= O; c++) {
                    double qq = 0, qnq = 0;
                    for (int i = 0; i < n; i++) {
                        qq += q[c][i] * q[c][i];
                        double row = 0;
                        for (int j = 0; j < n; j++) {
                            row += ntk[i * n + j] * q[c][j];
                        }
                        qnq += q[c][i] * row;
                    }
                    double want = qnq / (qq * lambdaMax);
                    assertThat(meas.rayleigh()[c]).as("channel " + c).isCloseTo(want, Offset.offset(1e-10));
                    assertThat(want).isBetween(0.0, 1.0);
                    assertThat(meas.topShares()[c]).hasSize(3);
                }
                for (int c = 0; c < O; c++) {
                    assertThat(meas.channelLoss()[c]).isCloseTo(loss[c], Offset.offset(1e-12 * loss[c]));
                    double mean = 0, var = 0;
                    for (int i = 0; i < B * T; i++) {
                        mean += y.getFlat((long) i * O + c) / (B * T);
                    }
                    for (int i = 0; i < B * T; i++) {
                        var += Math.pow(y.getFlat((long) i * O + c) - mean, 2) / (B * T);
                    }
                    assertThat(meas.explainedVariance()[c]).isCloseTo(1 - loss[c] / var, Offset.offset(1e-12));
                }
                assertThat(meas.loss()).isCloseTo((loss[0] + loss[1]) / 2, Offset.offset(1e-12));
            }
            // Training: the trainer's first and last losses are the measurements' losses.
            InitializationBias.Run run =
                    InitializationBias.train(m, r, x, y, new Optimizer(Optimizer.Kind.ADAM, 0.01, 0), 5, 2);
            assertThat(run.losses()).hasSize(6);
            assertThat(run.losses()[0]).isCloseTo(run.atInit().loss(), Offset.offset(1e-12 * run.losses()[0]));
            assertThat(run.losses()[5]).isCloseTo(run.atEnd().loss(), Offset.offset(1e-12 * run.losses()[5]));
            assertThat(run.losses()[5]).isLessThan(run.losses()[0]);
        }
    }

    @Test
    void refusesWhatCannotBePlanted() {
        Model m = leaky(1);
        assertThatThrownBy(() -> InitializationBias.plantFixedPoints(m, InitializationBias.randomPoints(7, H, 1)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("at most H = 6");
        assertThatThrownBy(() -> InitializationBias.plantFixedPoints(m, new double[][] {new double[H - 1]}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("5 entries");
        double[] p = InitializationBias.randomPoints(1, H, 1)[0];
        assertThatThrownBy(() -> InitializationBias.plantFixedPoints(m, new double[][] {p, p}))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("parallel");
        Model gru = Model.of(CellKind.GRU, 2, 1, 0.1, false, gruParams());
        assertThatThrownBy(() -> InitializationBias.plantFixedPoints(gru, InitializationBias.randomPoints(1, 2, 1)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("rnn_leaky")
                .hasMessageContaining("gru");
    }

    private static double dotOf(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static Map<String, double[]> gruParams() {
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(false)) {
            p.put(name, new double[(int) Tensor.elementCount(Model.parameterShape(CellKind.GRU, 2, 1, name))]);
        }
        return p;
    }
}
