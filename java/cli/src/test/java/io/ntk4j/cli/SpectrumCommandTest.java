package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.TestPaths;
import org.junit.jupiter.api.Test;

class SpectrumCommandTest {
    static JsonNode run(String c, String... extra) throws Exception {
        String[] base = {
            "spectrum",
            "--model",
            TestPaths.golden(c).toString(),
            "--inputs",
            TestPaths.golden(c).resolve("inputs.npy").toString(),
            "--json"
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CliTest.Result r = CliTest.run(args);
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void jsonHasEveryFieldAndExactModeMatchesTheGoldenMetrics() throws Exception {
        JsonNode metrics = new ObjectMapper()
                .readTree(TestPaths.golden("rnn_elman").resolve("metrics.json").toFile());
        JsonNode j = run("rnn_elman", "--op", "NTK", "--top", "10", "--exact");
        for (String field : new String[] {
            "eigenvalues",
            "residuals",
            "effective_rank",
            "partial_effective_dims",
            "partial_effective_dims_kpflow",
            "applies",
            "seconds"
        }) {
            assertThat(j.has(field)).as(field).isTrue();
        }
        assertThat(j.get("eigenvalues")).hasSize(10);
        for (int i = 0; i < 10; i++) {
            double want = metrics.get("top10").get("NTK").get(i).asDouble();
            assertThat(j.get("eigenvalues").get(i).asDouble()).isCloseTo(want, within(1e-10 * want));
        }
        assertThat(j.get("effective_rank").asDouble())
                .isCloseTo(metrics.get("effrank_NTK").asDouble(), within(1e-9));
        for (String axis : new String[] {"batch", "time", "hidden"}) {
            assertThat(j.get("partial_effective_dims").get(axis).asDouble())
                    .isCloseTo(
                            metrics.get("effdim_NTK_textbook_partial_trace")
                                    .get(axis)
                                    .asDouble(),
                            within(1e-9));
            assertThat(j.get("partial_effective_dims_kpflow").get(axis).asDouble())
                    .isCloseTo(
                            metrics.get("effdim_NTK_kpflow_definition")
                                    .get(axis)
                                    .asDouble(),
                            within(1e-9));
        }
    }

    @Test
    void eigenvaluesOnlySkipsTheRanksAndTheirApplies() throws Exception {
        JsonNode metrics = new ObjectMapper()
                .readTree(TestPaths.golden("rnn_elman").resolve("metrics.json").toFile());
        JsonNode full = run("rnn_elman", "--op", "NTK", "--top", "10", "--block", "1");
        JsonNode only = run("rnn_elman", "--op", "NTK", "--top", "10", "--block", "1", "--eigenvalues-only");
        for (String field : new String[] {
            "effective_rank", "effective_rank_kpflow", "partial_effective_dims", "partial_effective_dims_kpflow"
        }) {
            assertThat(only.has(field)).as(field).isFalse();
            assertThat(full.has(field)).as(field).isTrue();
        }
        assertThat(only.get("converged").asInt()).isEqualTo(10);
        for (int i = 0; i < 10; i++) {
            double want = metrics.get("top10").get("NTK").get(i).asDouble();
            assertThat(only.get("eigenvalues").get(i).asDouble()).isCloseTo(want, within(1e-8 * want));
            assertThat(only.get("eigenvalues").get(i).asDouble())
                    .isEqualTo(full.get("eigenvalues").get(i).asDouble());
        }
        assertThat(only.get("applies").asLong()).isLessThan(full.get("applies").asLong() / 10);
    }

    @Test
    void randomizedEigenvaluesOfKAndPptMatchTheGoldenTopTen() throws Exception {
        JsonNode metrics = new ObjectMapper()
                .readTree(TestPaths.golden("gru").resolve("metrics.json").toFile());
        for (String op : new String[] {"K", "PPt"}) {
            JsonNode j = run("gru", "--op", op, "--top", "10");
            assertThat(j.get("converged").asInt()).isEqualTo(10);
            for (int i = 0; i < 10; i++) {
                double want = metrics.get("top10").get(op).get(i).asDouble();
                assertThat(j.get("eigenvalues").get(i).asDouble())
                        .as(op + " " + i)
                        .isCloseTo(want, within(1e-8 * want));
            }
        }
        // Singular values of P are the square roots of the eigenvalues of P P*.
        JsonNode p = run("gru", "--op", "P", "--top", "3");
        for (int i = 0; i < 3; i++) {
            double want = Math.sqrt(metrics.get("top10").get("PPt").get(i).asDouble());
            assertThat(p.get("eigenvalues").get(i).asDouble()).isCloseTo(want, within(1e-8 * want));
        }
    }

    /** The default ranks: exact on the top eigenvectors, sampled for the rest, within their error bars. */
    @Test
    void defaultRanksAgreeWithTheGoldenMetricsWithinTheirErrors() throws Exception {
        JsonNode metrics = new ObjectMapper()
                .readTree(TestPaths.golden("rnn_elman").resolve("metrics.json").toFile());
        JsonNode j = run("rnn_elman", "--op", "NTK", "--top", "5");
        assertThat(j.get("accuracy_met").asBoolean()).isTrue();
        assertThat(j.get("worst_relative_error").asDouble()).isLessThanOrEqualTo(0.01);
        assertThat(j.get("deflation").asInt()).isEqualTo(5);
        double pr = j.get("effective_rank").asDouble(),
                se = j.get("effective_rank_std_error").asDouble();
        double want = metrics.get("effrank_NTK").asDouble();
        assertThat(se).isPositive().isLessThanOrEqualTo(0.01 * pr);
        assertThat(Math.abs(pr - want)).isLessThanOrEqualTo(3 * se);
        for (String axis : new String[] {"batch", "time", "hidden"}) {
            double d = j.get("partial_effective_dims").get(axis).asDouble();
            double dse =
                    j.get("partial_effective_dims").get(axis + "_std_error").asDouble();
            double dwant =
                    metrics.get("effdim_NTK_textbook_partial_trace").get(axis).asDouble();
            assertThat(Math.abs(d - dwant)).as(axis).isLessThanOrEqualTo(3 * dse);
            // kpflow's reduction is exact (B + T + H applies): no error bar, the metric to round-off
            assertThat(j.get("partial_effective_dims_kpflow").get(axis).asDouble())
                    .as(axis + " kpflow")
                    .isCloseTo(
                            metrics.get("effdim_NTK_kpflow_definition")
                                    .get(axis)
                                    .asDouble(),
                            within(1e-9));
            assertThat(j.get("partial_effective_dims_kpflow")
                            .get(axis + "_std_error")
                            .asDouble())
                    .isZero();
        }
    }

    @Test
    void accuracyChangesCostAndErrorAsAsked() throws Exception {
        JsonNode coarse = run("gru", "--op", "NTK", "--top", "3", "--accuracy", "0.1");
        JsonNode normal = run("gru", "--op", "NTK", "--top", "3");
        JsonNode fine = run("gru", "--op", "NTK", "--top", "3", "--accuracy", "0.001", "--max-samples", "1000000");
        long previous = 0;
        for (JsonNode j : new JsonNode[] {coarse, normal, fine}) {
            assertThat(j.get("accuracy_met").asBoolean()).isTrue();
            assertThat(j.get("worst_relative_error").asDouble())
                    .isLessThanOrEqualTo(j.get("accuracy").asDouble());
            assertThat(j.get("rank_samples").asLong()).isGreaterThanOrEqualTo(previous);
            previous = j.get("rank_samples").asLong();
        }
        assertThat(fine.get("rank_samples").asLong())
                .isGreaterThan(10 * normal.get("rank_samples").asLong());
        assertThat(fine.get("effective_rank_std_error").asDouble())
                .isLessThan(normal.get("effective_rank_std_error").asDouble());
        // Against the exact value, the finer estimate is the closer one (here by far: 100x the samples).
        JsonNode exact = run("gru", "--op", "NTK", "--top", "3", "--exact");
        double want = exact.get("effective_rank").asDouble();
        assertThat(Math.abs(fine.get("effective_rank").asDouble() - want))
                .isLessThanOrEqualTo(3 * fine.get("effective_rank_std_error").asDouble());
        assertThat(Math.abs(coarse.get("effective_rank").asDouble() - want))
                .isLessThanOrEqualTo(3 * coarse.get("effective_rank_std_error").asDouble());
    }

    @Test
    void accuracyOutOfReachIsReportedWithExitThreeNotPresentedAsMet() throws Exception {
        CliTest.Result r = CliTest.run(
                "spectrum",
                "--model",
                TestPaths.golden("gru").toString(),
                "--inputs",
                TestPaths.golden("gru").resolve("inputs.npy").toString(),
                "--top",
                "3",
                "--accuracy",
                "1e-5",
                "--max-samples",
                "64",
                "--json");
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_NUMERICAL);
        assertThat(r.err()).contains("did not reach --accuracy").contains("--max-samples 64");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("accuracy_met").asBoolean()).isFalse();
        assertThat(j.get("rank_samples").asLong()).isEqualTo(64);
        assertThat(j.get("worst_relative_error").asDouble()).isGreaterThan(1e-5);
        assertThat(j.get("effective_rank_std_error").asDouble()).isPositive();
        for (String bad : new String[] {"0", "1", "-0.1", "NaN"}) {
            CliTest.Result b = CliTest.run(
                    "spectrum",
                    "--model",
                    TestPaths.golden("gru").toString(),
                    "--inputs",
                    TestPaths.golden("gru").resolve("inputs.npy").toString(),
                    "--accuracy",
                    bad);
            assertThat(b.code()).as(bad).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(b.err()).as(bad).contains("--accuracy");
        }
    }

    /** rnn_leaky driven by zero inputs from h0 = 0 never moves: K, hence NTK_S, is the zero operator. */
    @Test
    void zeroOperatorHasNoEffectiveRankAndSaysSo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path x = tmp.resolve("zeros.npy");
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            io.ntk4j.io.Npy.write(x, io.ntk4j.Tensor.allocate(arena, 3, 6, 2));
        }
        for (String mode : new String[] {"--top=3", "--exact"}) {
            CliTest.Result r = CliTest.run(
                    "spectrum",
                    "--model",
                    TestPaths.golden("rnn_leaky_dt1").toString(),
                    "--inputs",
                    x.toString(),
                    "--op",
                    "NTK",
                    mode,
                    "--json");
            assertThat(r.code()).as(mode + ": " + r.err()).isEqualTo(Main.EXIT_NUMERICAL);
            assertThat(r.err()).as(mode).contains("undefined");
            assertThat(r.out()).as(mode).doesNotContain("NaN");
        }
    }

    @Test
    void unconvergedRequestsExitWithThree() {
        CliTest.Result r = CliTest.run(
                "spectrum",
                "--model",
                TestPaths.golden("gru").toString(),
                "--inputs",
                TestPaths.golden("gru").resolve("inputs.npy").toString(),
                "--top",
                "20",
                "--tol",
                "1e-300");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(Main.EXIT_NUMERICAL);
        CliTest.Result bad = CliTest.run(
                "spectrum",
                "--model",
                TestPaths.golden("gru").toString(),
                "--inputs",
                TestPaths.golden("gru").resolve("inputs.npy").toString(),
                "--top",
                "91");
        assertThat(bad.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(bad.err()).contains("dimension 90");
    }
}
