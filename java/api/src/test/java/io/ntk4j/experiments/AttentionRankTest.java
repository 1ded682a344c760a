package io.ntk4j.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.AttentionMlpConfig;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The attention experiment's pieces against torch's dense NTK_S and exact arithmetic. */
class AttentionRankTest {

    /** kpflow's partial_avg(-1) from torch's dense NTK_S (tests/golden/blocks) against ours. */
    @Test
    void featureAverageIsTorchsDenseNtkAveragedOverFeatures() {
        for (String c : new String[] {"blocks/attention_mlp", "blocks/attention_mlp_causal"}) {
            Path dir = TestPaths.golden(c);
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
                Tensor dense = Npy.read(dir.resolve("NTK_dense.npy"), arena);
                int tokens = Math.toIntExact(s.batch() * s.steps()), w = Math.toIntExact(s.hiddenSize());
                long n = (long) tokens * w;
                double[][] mine = AttentionRank.featureAverage(s.ntk(), s.stateShape());
                double worst = 0, scale = 0;
                for (int r = 0; r < tokens; r++) {
                    for (int q = 0; q < tokens; q++) {
                        double sum = 0;
                        for (int i = 0; i < w; i++) {
                            for (int j = 0; j < w; j++) {
                                sum += dense.getFlat(((long) r * w + i) * n + (long) q * w + j);
                            }
                        }
                        worst = Math.max(worst, Math.abs(mine[r][q] - sum / w));
                        scale = Math.max(scale, Math.abs(sum / w));
                    }
                }
                assertThat(worst / scale).as(c).isLessThan(1e-12);
            }
        }
    }

    @Test
    void participationRatioIsExactOnKnownSpectra() {
        // diag(3, 1): (3 + 1)^2 / (9 + 1) = 1.6; a rank-one matrix: 1.
        assertThat(AttentionRank.participationRatio(new double[][] {{3, 0}, {0, 1}}))
                .isCloseTo(1.6, within(1e-15));
        assertThat(AttentionRank.participationRatio(new double[][] {{1, 2}, {2, 4}}))
                .isCloseTo(1.0, within(1e-15));
        assertThatThrownBy(() -> AttentionRank.participationRatio(new double[][] {{0}}))
                .hasMessageContaining("no effective rank");
        // The inputs' effective dimension is that of X X^T: orthogonal rows of equal norm give the row count.
        double[] x = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        assertThat(AttentionRank.participationRatio(AttentionRank.gramOfRows(x, 3, 3)))
                .isCloseTo(3, within(1e-15));
    }

    @Test
    void initializationFollowsPyTorchsDefaultBoundsAndTheExperimentRuns() {
        AttentionMlpConfig cfg = new AttentionMlpConfig(5, 8, 2, 6, 3, 1, 4, true, false);
        Model m = AttentionRank.initialize(cfg, 3);
        for (String name : cfg.parameterNames()) {
            double[] v = m.parameter(name);
            long[] shape = cfg.parameterShape(name);
            double bound = name.equals("pos_embedding")
                    ? Double.POSITIVE_INFINITY
                    : 1 / Math.sqrt(name.equals("input_proj.bias") ? 5 : shape[shape.length - 1]);
            for (double d : v) {
                assertThat(Math.abs(d)).as(name).isLessThanOrEqualTo(bound);
            }
        }
        var config = new AttentionRank.Config(cfg, List.of(2), 4, List.of(1, 3), 1);
        List<AttentionRank.Point> points = AttentionRank.run(config, p -> {});
        assertThat(points).hasSize(2);
        for (AttentionRank.Point p : points) {
            // Both are effective ranks of B*T x B*T positive semi-definite matrices: in [1, B*T].
            assertThat(p.temporalEffectiveRank()).isBetween(1 - 1e-12, 8.0);
            assertThat(p.inputEffectiveDim()).isBetween(1 - 1e-12, 8.0);
        }
        // One input dimension: X X^T has rank one.
        assertThat(points.get(0).inputEffectiveDim()).isCloseTo(1.0, within(1e-12));
        assertThatThrownBy(() -> new AttentionRank.Config(cfg, List.of(2), 5, List.of(1), 1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("longer than the positional table");
    }
}
