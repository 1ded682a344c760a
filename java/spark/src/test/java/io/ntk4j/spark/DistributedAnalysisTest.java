package io.ntk4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.spectral.Estimate;
import io.ntk4j.spectral.PartialEffectiveDims;
import io.ntk4j.spectral.RankOptions;
import io.ntk4j.spectral.SpectrumAnalysis;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code spectrum}'s analysis across shards ({@link DistributedSession#analyze}) against
 * {@link SpectrumAnalysis#run} on one session with the same options and seed: the top ten
 * eigenvalues, the effective ranks, the true partial dimensions and kpflow's, to 1e-10.
 */
class DistributedAnalysisTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = SparkTests.context();
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    static void assertSame(String what, Estimate got, Estimate want) {
        assertThat(Math.abs(got.value() - want.value()))
                .as(what + ": " + got + " vs " + want)
                .isLessThanOrEqualTo(1e-10 * Math.abs(want.value()));
    }

    static void assertSame(String what, PartialEffectiveDims got, PartialEffectiveDims want) {
        assertSame(what + " batch", got.batch(), want.batch());
        assertSame(what + " time", got.time(), want.time());
        assertSame(what + " hidden", got.hidden(), want.hidden());
    }

    static void assertSameAnalysis(Model m, Tensor x, int partitions, EigsOptions o, RankOptions r) {
        SpectrumAnalysis.Result want;
        try (Session s = Session.open(m, x)) {
            want = SpectrumAnalysis.run(s, SpectrumAnalysis.Target.NTK, o, r, false);
        }
        try (DistributedSession d = DistributedSession.open(sc, m, x, partitions)) {
            SpectrumAnalysis.Result got = d.analyze(o, r);
            DistributedSessionTest.assertSameTop(got.values(), want.values(), 1e-10);
            assertThat(got.converged()).isEqualTo(want.converged());
            assertThat(got.ranks().samples()).isEqualTo(want.ranks().samples());
            assertThat(got.ranks().deflation()).isEqualTo(want.ranks().deflation());
            assertSame("trace", got.ranks().trace(), want.ranks().trace());
            assertSame(
                    "effective rank", got.ranks().effectiveRank(), want.ranks().effectiveRank());
            assertSame(
                    "kpflow's PR(A^2)",
                    got.ranks().effectiveRankKpflow(),
                    want.ranks().effectiveRankKpflow());
            assertSame("partial dimension", got.partialDims(), want.partialDims());
            assertSame("kpflow's partial dimension", got.dimsKpflow(), want.dimsKpflow());
            // The standard errors come from the same samples: equal too, to round-off.
            assertThat(Math.abs(got.ranks().effectiveRank().stdError()
                            - want.ranks().effectiveRank().stdError()))
                    .isLessThanOrEqualTo(1e-8 * want.ranks().effectiveRank().stdError());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn_leaky_dt0p1", "rnn_elman", "gru", "cells/lstm"})
    void theAnalysisEqualsTheSingleMachineOneOnTheGoldenModels(String name) {
        Path dir = SparkTests.golden(name);
        Model m = ModelFiles.load(dir);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(dir.resolve("inputs.npy"), arena);
            int k = (int) Math.min(10, Math.min(m.numParams(), x.dim(0) * x.dim(1) * m.stateWidth()) - 1);
            assertSameAnalysis(
                    m,
                    x,
                    (int) Math.min(3, x.dim(0)),
                    EigsOptions.top(k).withTol(1e-12),
                    RankOptions.defaults().withSeed(11));
        }
    }

    @Test
    void aLargerModelOverFourPartitionsGivesTheSameAnalysis() {
        int h = 128, n = 3, b = 64, t = 100;
        Model m = DistributedSessionTest.leaky(h, n, 1.2, 5);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 9, 1.0, b, t, n);
            // A budget of 64 samples (the default accuracy would draw more): the comparison, not the
            // accuracy, is the point here; the golden cases above run the defaults.
            assertSameAnalysis(
                    m,
                    x,
                    4,
                    EigsOptions.top(10).withTol(1e-12),
                    RankOptions.defaults().withSeed(3).withMaxSamples(64));
        }
    }

    @Test
    void probeBlocksTooLargeForTheDriverAreRefusedBeforeAnyWork() {
        Model m = DistributedSessionTest.leaky(128, 1, 1.0, 2);
        // Enough state that four [16, B T H] blocks exceed half the heap (the inputs themselves are small).
        long heap = Runtime.getRuntime().maxMemory();
        int t = 1000, b = (int) Math.min(Integer.MAX_VALUE / t, heap / (4L * 8 * 16 * 128 * t) + 2);
        try (Arena arena = Arena.ofConfined();
                DistributedSession d = DistributedSession.open(sc, m, Tensor.allocate(arena, b, t, 1), 2)) {
            assertThatThrownBy(() -> d.analyze(EigsOptions.top(3), RankOptions.defaults()))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("driver heap")
                    .hasMessageContaining("--spark-probes");
            assertThat(d.applies()).isZero();
        }
    }
}
