package io.ntk4j.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The sub-task updates against the dense NTK_S times errors computed here from the readout. */
class MultiTaskAlignmentTest {
    private static final Path DIR = TestPaths.golden("outputs/elman_readout");

    @Test
    void updatesAreTheDenseNtkTimesEachSubTasksError() {
        Model m = ModelFiles.load(DIR);
        Readout r = ModelDirectory.readReadout(DIR, m.hiddenSize());
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(DIR.resolve("inputs.npy"), arena);
            int b = (int) x.dim(0), t = (int) x.dim(1), h = m.hiddenSize(), o = r.outputSize();
            int[] task = {0, 1, 0};
            for (int i = 0; i < b; i++) { // channel 1 carries the rule
                for (int s = 0; s < t; s++) {
                    x.set(task[i], i, s, 1);
                }
            }
            assertThat(MultiTaskAlignment.tasksFromRule(x, 1)).containsExactly(task);
            Tensor y = Tensor.gaussian(arena, 3, 1.0, b, t, o);
            try (Session s = Session.open(m, x)) {
                MultiTaskAlignment.Result res = MultiTaskAlignment.measure(s, r, y, task, 4);
                Tensor hid = s.hidden(arena);
                double[] ntk = s.ntk().toDense();
                int n = b * t * h;
                double[][] e = new double[2][n];
                double loss = 0;
                for (int i = 0; i < b; i++) {
                    for (int st = 0; st < t; st++) {
                        for (int c = 0; c < o; c++) {
                            double out = r.bias()[c];
                            for (int j = 0; j < h; j++) {
                                out += r.weight()[c * h + j] * hid.get(i, st, j);
                            }
                            double d = out - y.get(i, st, c);
                            loss += d * d / (b * t * o);
                            for (int j = 0; j < h; j++) {
                                e[task[i]][(i * t + st) * h + j] += 2 * d / (b * t * o) * r.weight()[c * h + j];
                            }
                        }
                    }
                }
                double[][] u = new double[2][n];
                for (int k = 0; k < 2; k++) {
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            u[k][i] += ntk[i * n + j] * e[k][j];
                        }
                    }
                }
                double dot = 0, n0 = 0, n1 = 0, other0 = 0;
                for (int i = 0; i < n; i++) {
                    dot += u[0][i] * u[1][i];
                    n0 += u[0][i] * u[0][i];
                    n1 += u[1][i] * u[1][i];
                    if (task[i / (t * h)] == 1) {
                        other0 += u[0][i] * u[0][i];
                    }
                }
                assertThat(res.loss()).isCloseTo(loss, Offset.offset(1e-12 * loss));
                assertThat(res.updateCosine()).isCloseTo(dot / Math.sqrt(n0 * n1), Offset.offset(1e-10));
                assertThat(res.updateNorms()[0]).isCloseTo(Math.sqrt(n0), Offset.offset(1e-10 * Math.sqrt(n0)));
                assertThat(res.crossTalk()[0]).isCloseTo(other0 / n0, Offset.offset(1e-10));
                assertThat(res.topShares()[1]).hasSize(4);
                assertThat(res.topShares()[1][3]).isBetween(0.0, 1.0 + 1e-12);
                assertThatThrownBy(() -> MultiTaskAlignment.measure(s, r, y, new int[] {0, 0, 0}, 2))
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("both sub-tasks");
            }
        }
    }
}
