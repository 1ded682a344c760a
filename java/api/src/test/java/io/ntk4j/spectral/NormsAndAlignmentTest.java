package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Frobenius norms, kpflow's effective rank and operator alignment against dense golden data. */
class NormsAndAlignmentTest {
    @Test
    void againstTheDenseGoldenMatrices() throws Exception {
        Path dir = TestPaths.golden("rnn_elman");
        var metrics = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
            Tensor k = Npy.read(dir.resolve("K_dense.npy"), arena), ntk = Npy.read(dir.resolve("NTK_dense.npy"), arena);
            double kk = 0, nn = 0, kn = 0;
            for (long i = 0; i < k.size(); i++) {
                kk += k.getFlat(i) * k.getFlat(i);
                nn += ntk.getFlat(i) * ntk.getFlat(i);
                kn += k.getFlat(i) * ntk.getFlat(i);
            }
            double cos = kn / Math.sqrt(kk * nn);
            assertThat(Alignment.exact(s.K(), s.ntk())).isCloseTo(cos, within(1e-12));
            Estimate est = Alignment.estimate(s.K(), s.ntk(), 400, 7);
            assertThat(est.value()).isCloseTo(cos, within(Math.max(4 * est.stdError(), 1e-9)));
            assertThat(Alignment.exact(s.ntk(), s.ntk())).isCloseTo(1.0, within(1e-14));
            try (LinearOperator twice = s.ntk().scale(2)) {
                assertThat(Alignment.exact(s.ntk(), twice)).isCloseTo(1.0, within(1e-14));
            }
            // ||NTK_S||_F (n = 90 <= probes/3 makes Hutch++'s sketch exact here).
            assertThat(Traces.frobeniusNorm(s.ntk(), 300, 1).value())
                    .isCloseTo(metrics.get("frobenius_norm").get("NTK").asDouble(), within(1e-9 * Math.sqrt(nn)));
            // kpflow's effective rank PR(A^2) = (sum l^2)^2 / sum l^4 from the exact eigenvalues.
            Tensor eig = Npy.read(dir.resolve("eig_NTK.npy"), arena);
            double s2 = 0, s4 = 0;
            for (long i = 0; i < eig.size(); i++) {
                double l = eig.getFlat(i);
                s2 += l * l;
                s4 += l * l * l * l;
            }
            assertThat(Traces.kpflowEffectiveRank(s.ntk(), 300, 1).value())
                    .isCloseTo(s2 * s2 / s4, within(1e-8 * s2 * s2 / s4));
            assertThatThrownBy(() -> Alignment.exact(s.ntk(), s.jtheta()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("same shape");
        }
    }
}
