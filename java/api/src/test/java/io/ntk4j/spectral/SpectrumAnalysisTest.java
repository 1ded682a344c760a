package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shared spectrum analysis against dense exact answers, for every target. */
class SpectrumAnalysisTest {
    @Test
    void everyTargetMatchesTheDenseSpectrumAndCountsItsApplies() {
        Path dir = TestPaths.golden("gru");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena));
                LinearOperator ppt = s.P().gram()) {
            for (SpectrumAnalysis.Target t : SpectrumAnalysis.Target.values()) {
                double[] exact = Eigs.exact(
                        switch (t) {
                            case NTK -> s.ntk();
                            case K -> s.K();
                            case PPT, P -> ppt;
                        });
                SpectrumAnalysis.Result r =
                        SpectrumAnalysis.run(s, t, EigsOptions.top(4), RankOptions.defaults(), true);
                assertThat(r.converged()).as(t.label()).isEqualTo(4);
                for (int i = 0; i < 4; i++) {
                    double want = t.singular() ? Math.sqrt(exact[i]) : exact[i];
                    assertThat(r.values()[i])
                            .as(t.label() + " value " + i)
                            .isCloseTo(want, within(1e-9 * Math.abs(want)));
                }
                double s1 = 0, s2 = 0;
                for (double l : exact) {
                    s1 += l;
                    s2 += l * l;
                }
                Estimate pr = r.ranks().effectiveRank();
                assertThat(Math.abs(pr.value() - s1 * s1 / s2))
                        .as(t.label() + " effective rank within 3 SE")
                        .isLessThanOrEqualTo(3 * pr.stdError() + 1e-9 * pr.value());
                assertThat(r.applies())
                        .isEqualTo(r.eigenApplies()
                                + r.rankApplies()
                                + r.dimsKpflow().batch().applies()
                                + r.dimsKpflow().time().applies()
                                + r.dimsKpflow().hidden().applies());
                assertThat(r.ranksP() != null).as(t.label()).isEqualTo(t == SpectrumAnalysis.Target.P);
                assertThat(r.vectors()).as("vectors only when asked for").isNull();
            }
            SpectrumAnalysis.Result only =
                    SpectrumAnalysis.run(s, SpectrumAnalysis.Target.NTK, EigsOptions.top(3), null, true);
            assertThat(only.ranks()).isNull();
            assertThat(only.accuracyMet()).isTrue();
            assertThat(only.applies()).isEqualTo(only.eigenApplies());
        }
        assertThatThrownBy(() -> SpectrumAnalysis.Target.fromId("Q"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("NTK, K, PPt, P");
        assertThat(SpectrumAnalysis.Target.fromId("ppt")).isEqualTo(SpectrumAnalysis.Target.PPT);
    }
}
