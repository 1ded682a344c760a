package io.ntk4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The batch-sharded NTK_S in Spark's local mode against the single-machine session. */
class DistributedSessionTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = SparkTests.context();
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    static void assertSameTop(double[] got, double[] want, double rtol) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            assertThat(Math.abs(got[i] - want[i])).as("eigenvalue " + i).isLessThanOrEqualTo(rtol * want[0]);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn_leaky_dt0p1", "rnn_elman", "gru", "cells/lstm"})
    void topEigenvaluesEqualTheSingleMachineOnesOnTheGoldenModels(String name) {
        Path dir = SparkTests.golden(name);
        Model m = ModelFiles.load(dir);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(dir.resolve("inputs.npy"), arena);
            int k = (int) Math.min(10, Math.min(m.numParams(), x.dim(0) * x.dim(1) * m.stateWidth()));
            EigsOptions o = EigsOptions.top(k).withTol(1e-12);
            double[] want;
            try (Session s = Session.open(m, x)) {
                want = Eigs.topOfGram(s.P().compose(s.jtheta()), o).values();
            }
            try (DistributedSession d = DistributedSession.open(sc, m, x, (int) Math.min(3, x.dim(0)))) {
                EigenResult got = d.top(o);
                assertThat(got.converged()).isEqualTo(k);
                assertSameTop(got.values(), want, 1e-10);
            }
        }
    }

    @Test
    void aLargerModelOverFourPartitionsGivesTheSameTopTenAndMovesOnlyParameterBlocks() {
        int h = 128, n = 3, b = 64, t = 100;
        Model m = leaky(h, n, 1.2, 5);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 9, 1.0, b, t, n);
            EigsOptions o = EigsOptions.top(10).withTol(1e-12);
            double[] want;
            try (Session s = Session.open(m, x)) {
                want = Eigs.topOfGram(s.P().compose(s.jtheta()), o).values();
            }
            try (DistributedSession d = DistributedSession.open(sc, m, x, 4)) {
                EigenResult got = d.top(o);
                assertThat(got.converged()).isEqualTo(10);
                assertSameTop(got.values(), want, 1e-10);
                // Per apply and shard: the block out and its part of the sum back, k * n_params
                // doubles each way, whatever T and the shard's trials.
                long perApply = d.bytesMoved() / d.applies();
                assertThat(perApply).isLessThanOrEqualTo(4L * 3 * 8 * got.block() * m.numParams());
            }
        }
    }

    @Test
    void theParameterGramIsTheSumOfTheShardsAndIndependentOfTheSplit() {
        Model m = leaky(8, 2, 1.1, 3);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 4, 1.0, 7, 6, 2);
            int p = (int) m.numParams();
            Tensor v = Tensor.gaussian(arena, 5, 1.0, 2, p);
            double[] want;
            try (Session s = Session.open(m, x);
                    LinearOperator j = s.P().compose(s.jtheta())) {
                Tensor z = Tensor.allocate(arena, 2, p);
                j.applyAdjoint(j.apply(v, arena), z);
                want = z.toArray();
            }
            double[] first = null;
            for (int parts : new int[] {1, 2, 7}) {
                try (DistributedSession d = DistributedSession.open(sc, m, x, parts)) {
                    double[] got = d.parameterGram().apply(v, arena).toArray();
                    double scale = 0;
                    for (double w : want) {
                        scale = Math.max(scale, Math.abs(w));
                    }
                    for (int i = 0; i < want.length; i++) {
                        assertThat(Math.abs(got[i] - want[i])).isLessThanOrEqualTo(1e-12 * scale);
                    }
                    // Run twice: the same numbers to the last bit (ExactSum), however tasks finish.
                    assertThat(d.parameterGram().apply(v, arena).toArray()).containsExactly(got);
                    if (first == null) {
                        first = got;
                    }
                }
            }
            assertThat(ShardSessions.count()).isZero(); // close() released every shard's session
        }
    }

    @Test
    void theEffectiveRankEqualsTheSameEstimatorOnOneSessionAndItsErrorBarCoversTheExactValue() {
        Model m = leaky(6, 2, 1.3, 21);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 22, 1.0, 5, 8, 2);
            io.ntk4j.spectral.TraceEstimates local, exact;
            try (Session s = Session.open(m, x);
                    LinearOperator j = s.P().compose(s.jtheta());
                    LinearOperator g = j.adjoint().compose(j)) {
                local = io.ntk4j.spectral.Traces.estimate(g, 40, 7);
                exact = io.ntk4j.spectral.Traces.exact(s.ntk()); // dense NTK_S, n = B T H = 240
            }
            try (DistributedSession d = DistributedSession.open(sc, m, x, 3)) {
                io.ntk4j.spectral.TraceEstimates got = d.ranks(40, 7);
                // The same probes (same seed, parameter space) on the same operator: the same numbers.
                double pr = local.effectiveRank().value(), tr = local.trace().value();
                assertThat(Math.abs(got.effectiveRank().value() - pr)).isLessThanOrEqualTo(1e-10 * pr);
                assertThat(Math.abs(got.trace().value() - tr)).isLessThanOrEqualTo(1e-10 * tr);
                // And they estimate NTK_S's own traces: within 3 standard errors of the dense values.
                assertThat(Math.abs(got.trace().value() - exact.trace().value()))
                        .isLessThanOrEqualTo(3 * got.trace().stdError()
                                + 1e-10 * exact.trace().value());
                assertThat(Math.abs(got.effectiveRank().value()
                                - exact.effectiveRank().value()))
                        .isLessThanOrEqualTo(3 * got.effectiveRank().stdError()
                                + 1e-10 * exact.effectiveRank().value());
            }
        }
    }

    @Test
    void badSplitsAndClosedSessionsAreRefused() {
        Model m = leaky(4, 2, 1.0, 1);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 1, 1.0, 3, 5, 2);
            assertThatThrownBy(() -> DistributedSession.open(sc, m, x, 4))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("partitions must be in 1..3");
            assertThatThrownBy(() -> DistributedSession.open(sc, m, Tensor.gaussian(arena, 1, 1.0, 3, 5, 3), 2))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("N = 3");
            DistributedSession d = DistributedSession.open(sc, m, x, 2);
            d.close();
            assertThatThrownBy(d::parameterGram).isInstanceOf(IllegalStateException.class);
        }
    }

    static Model leaky(int h, int n, double gain, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(false)) {
            double[] v = new double[(int) Tensor.elementCount(Model.parameterShape(CellKind.RNN_LEAKY, h, n, name))];
            double scale = name.equals("weight_hh") ? gain / Math.sqrt(h) : 1 / Math.sqrt(n);
            for (int i = 0; i < v.length; i++) {
                v[i] = scale * rng.nextGaussian();
            }
            p.put(name, v);
        }
        return Model.of(CellKind.RNN_LEAKY, h, n, 0.2, false, p);
    }
}
