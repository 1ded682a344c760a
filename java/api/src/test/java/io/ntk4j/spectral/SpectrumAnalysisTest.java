package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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

/** The shared spectrum analysis against dense exact answers, for every target. */
class SpectrumAnalysisTest {
    /** NTK_y of the attention block: torch's y rows of dz/dtheta (dz/dtheta)^T, tests/golden/blocks. */
    @Test
    void outputNtkMatchesTorch() throws Exception {
        for (String c : new String[] {"blocks/attention_mlp", "blocks/attention_mlp_causal"}) {
            Path dir = TestPaths.golden(c);
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
                double[] exact = Npy.read(dir.resolve("eig_NTK_y.npy"), arena).toArray();
                assertThat(Tensor.relativeError(
                                s.ntkOutputs()
                                        .apply(TestPaths.identity(arena, exact.length, s.outputsShape()), arena)
                                        .reshape(exact.length, exact.length),
                                Npy.read(dir.resolve("NTK_y_dense.npy"), arena)))
                        .as(c + " dense NTK_y")
                        .isLessThan(1e-10);
                SpectrumAnalysis.Result r = SpectrumAnalysis.run(
                        s, SpectrumAnalysis.Target.NTK_Y, EigsOptions.top(3), RankOptions.defaults(), true);
                for (int i = 0; i < 3; i++) {
                    assertThat(r.values()[i]).as(c + " " + i).isCloseTo(exact[i], within(1e-8 * exact[0]));
                }
                double pr = new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(java.nio.file.Files.readString(dir.resolve("metrics.json")))
                        .get("participation_ratio")
                        .get("NTK_y")
                        .asDouble();
                assertThat(Traces.exact(s.ntkOutputs()).effectiveRank().value())
                        .as(c + " effective rank of NTK_y")
                        .isCloseTo(pr, within(1e-9 * pr));
                assertThat(r.ranks().effectiveRank().value()).as(c).isCloseTo(pr, within(0.02 * pr));
            }
        }
        Path gru = TestPaths.golden("gru");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(gru), Npy.read(gru.resolve("inputs.npy"), arena))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(s::ntkOutputs)
                    .hasMessageContaining("NTK_y needs a model whose outputs are part of its state");
        }
    }

    /** NTK_h of the lstm: torch's dense NTK_S on the h entries of [h; c]; for a gru, NTK_S itself. */
    @Test
    void observedStateNtkIsTheHBlockOfTorchsNtk() {
        Path dir = TestPaths.golden("cells/lstm");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
            int h = s.model().hiddenSize(), w = Math.toIntExact(s.hiddenSize());
            int n = Math.toIntExact(s.batch() * s.steps() * h), full = Math.toIntExact(s.batch() * s.steps() * w);
            Tensor dense = Npy.read(dir.resolve("NTK_dense.npy"), arena);
            Tensor want = Tensor.allocate(arena, n, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    long fi = (long) (i / h) * w + i % h, fj = (long) (j / h) * w + j % h;
                    want.setFlat((long) i * n + j, dense.getFlat(fi * full + fj));
                }
            }
            Tensor got = s.ntkObserved()
                    .apply(TestPaths.identity(arena, n, new long[] {s.batch(), s.steps(), h}), arena)
                    .reshape(n, n);
            assertThat(Tensor.relativeError(got, want)).isLessThan(1e-10);
            SpectrumAnalysis.Result r = SpectrumAnalysis.run(
                    s, SpectrumAnalysis.Target.NTK_H, EigsOptions.top(3), RankOptions.defaults(), true);
            double[] exact = Eigs.exact(s.ntkObserved());
            for (int i = 0; i < 3; i++) {
                assertThat(r.values()[i]).isCloseTo(exact[i], within(1e-9 * exact[0]));
            }
        }
        Path gru = TestPaths.golden("gru");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(gru), Npy.read(gru.resolve("inputs.npy"), arena))) {
            Tensor q = Tensor.gaussian(arena, 4, 1.0, s.stateShape());
            assertThat(Tensor.relativeError(
                            s.ntkObserved().apply(q, arena), s.ntk().apply(q, arena)))
                    .isZero();
        }
    }

    @Test
    void everyTargetMatchesTheDenseSpectrumAndCountsItsApplies() {
        Path dir = TestPaths.golden("gru");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena));
                LinearOperator ppt = s.P().gram()) {
            for (SpectrumAnalysis.Target t : SpectrumAnalysis.Target.values()) {
                if (t == SpectrumAnalysis.Target.NTK_Y || t == SpectrumAnalysis.Target.NTK_H) {
                    continue; // a gru's outputs are not in its state: outputNtkMatchesTorch
                }
                double[] exact = Eigs.exact(
                        switch (t) {
                            case NTK -> s.ntk();
                            case K -> s.K();
                            case PPT, P -> ppt;
                            case NTK_Y, NTK_H -> throw new AssertionError();
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
