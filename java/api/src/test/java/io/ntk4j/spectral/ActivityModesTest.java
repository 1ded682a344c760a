package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The weight-site Gram against the trajectory it comes from and against K itself. */
class ActivityModesTest {
    private static final Path LEAKY = TestPaths.golden("rnn_leaky_dt0p1");

    @Test
    void leakyActivityIsTanhOfThePreviousStateBesideTheInputAndKIsItsGram() {
        Model m = ModelFiles.load(LEAKY);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(LEAKY.resolve("inputs.npy"), arena);
            try (Session s = Session.open(m, x)) {
                int b = (int) s.batch(), t = (int) s.steps(), h = (int) s.hiddenSize(), n = (int) s.inputSize();
                assertThat(s.numSites()).isEqualTo(1);
                Tensor a = s.siteActivity(0, arena), hid = s.hidden(arena);
                assertThat(a.shape()).containsExactly((long) b * t, h + n);
                for (int bb = 0; bb < b; bb++) {
                    for (int tt = 0; tt < t; tt++) {
                        long row = (long) (bb * t + tt) * (h + n);
                        for (int i = 0; i < h; i++) {
                            double prev = tt == 0 ? 0 : hid.getFlat(((long) bb * t + tt - 1) * h + i);
                            assertThat(a.getFlat(row + i)).isCloseTo(Math.tanh(prev), Offset.offset(1e-15));
                        }
                        for (int i = 0; i < n; i++) {
                            assertThat(a.getFlat(row + h + i)).isEqualTo(x.getFlat(((long) bb * t + tt) * n + i));
                        }
                    }
                }
                // K = dt^2 (Gamma (x) I_H), Gamma = A A^T (DESIGN.md, K's Kronecker-core form).
                double dt = m.dt();
                double[] k = s.K().toDense();
                int bt = b * t, dim = h + n, size = bt * h;
                double worst = 0, scale = 0;
                for (int p = 0; p < bt; p++) {
                    for (int q = 0; q < bt; q++) {
                        double g = 0;
                        for (int i = 0; i < dim; i++) {
                            g += a.getFlat((long) p * dim + i) * a.getFlat((long) q * dim + i);
                        }
                        for (int i = 0; i < h; i++) {
                            for (int j = 0; j < h; j++) {
                                double want = i == j ? dt * dt * g : 0;
                                worst = Math.max(worst, Math.abs(k[(p * h + i) * size + q * h + j] - want));
                                scale = Math.max(scale, Math.abs(want));
                            }
                        }
                    }
                }
                assertThat(worst).isLessThanOrEqualTo(1e-13 * scale);
            }
        }
    }

    @Test
    void modesAreGammasTopEigenvectorsAndSharesAreProjections() {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(LEAKY), Npy.read(LEAKY.resolve("inputs.npy"), arena))) {
            int bt = (int) (s.batch() * s.steps());
            ActivityModes.Result g = ActivityModes.of(s, 0, 3, arena);
            Tensor a = s.siteActivity(0, arena);
            int dim = (int) a.dim(1);
            double[] gamma = new double[bt * bt];
            for (int p = 0; p < bt; p++) {
                for (int q = 0; q < bt; q++) {
                    for (int i = 0; i < dim; i++) {
                        gamma[p * bt + q] += a.getFlat((long) p * dim + i) * a.getFlat((long) q * dim + i);
                    }
                }
            }
            LinearOperator dense = LinearOperator.symmetric(bt, (in, out) -> {
                long k = in.size() / bt;
                for (long c = 0; c < k; c++) {
                    for (int i = 0; i < bt; i++) {
                        double acc = 0;
                        for (int j = 0; j < bt; j++) {
                            acc += gamma[i * bt + j] * in.getFlat(c * bt + j);
                        }
                        out.setFlat(c * bt + i, acc);
                    }
                }
            });
            double[] exact = Eigs.exact(dense);
            double tr = 0, tr2 = 0;
            for (double l : exact) {
                tr += l;
                tr2 += l * l;
            }
            assertThat(g.effectiveRank()).isCloseTo(tr * tr / tr2, Offset.offset(1e-10 * tr * tr / tr2));
            Tensor want = Eigs.exactVectors(dense, 3, arena);
            for (int k = 0; k < 3; k++) {
                assertThat(g.eigenvalues()[k]).isCloseTo(exact[k], Offset.offset(1e-10 * exact[0]));
                double dot = 0;
                for (int p = 0; p < bt; p++) {
                    dot += want.getFlat((long) k * bt + p) * g.modes().getFlat((long) k * bt + p);
                }
                assertThat(Math.abs(dot)).as("mode " + k).isCloseTo(1.0, Offset.offset(1e-9));
            }
            // A vector made of the first mode times any hidden direction lies wholly in the span.
            long w = s.hiddenSize();
            Tensor v = Tensor.allocate(arena, s.batch(), s.steps(), w);
            for (int p = 0; p < bt; p++) {
                for (int c = 0; c < w; c++) {
                    v.setFlat(p * w + c, g.modes().getFlat(p) * (c + 1));
                }
            }
            assertThat(g.share(v)).isCloseTo(1.0, Offset.offset(1e-12));
            assertThat(g.chance()).isCloseTo(3.0 / bt, Offset.offset(1e-15));
        }
    }
}
