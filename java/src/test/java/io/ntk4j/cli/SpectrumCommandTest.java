package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.TestPaths;
import org.junit.jupiter.api.Test;

class SpectrumCommandTest {
  static JsonNode run(String c, String... extra) throws Exception {
    String[] base = {"spectrum", "--model", TestPaths.golden(c).toString(), "--inputs",
        TestPaths.golden(c).resolve("inputs.npy").toString(), "--json"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    CliTest.Result r = CliTest.run(args);
    assertThat(r.code()).as(r.err()).isZero();
    return new ObjectMapper().readTree(r.out());
  }

  @Test
  void jsonHasEveryFieldAndExactModeMatchesTheGoldenMetrics() throws Exception {
    JsonNode metrics = new ObjectMapper().readTree(TestPaths.golden("rnn_elman").resolve("metrics.json").toFile());
    JsonNode j = run("rnn_elman", "--op", "NTK", "--top", "10", "--exact");
    for (String field : new String[] {"eigenvalues", "residuals", "effective_rank", "partial_effective_dims",
        "partial_effective_dims_kpflow", "applies", "seconds"}) {
      assertThat(j.has(field)).as(field).isTrue();
    }
    assertThat(j.get("eigenvalues")).hasSize(10);
    for (int i = 0; i < 10; i++) {
      double want = metrics.get("top10").get("NTK").get(i).asDouble();
      assertThat(j.get("eigenvalues").get(i).asDouble()).isCloseTo(want, within(1e-10 * want));
    }
    assertThat(j.get("effective_rank").asDouble()).isCloseTo(metrics.get("effrank_NTK").asDouble(), within(1e-9));
    for (String axis : new String[] {"batch", "time", "hidden"}) {
      assertThat(j.get("partial_effective_dims").get(axis).asDouble())
          .isCloseTo(metrics.get("effdim_NTK_textbook_partial_trace").get(axis).asDouble(), within(1e-9));
      assertThat(j.get("partial_effective_dims_kpflow").get(axis).asDouble())
          .isCloseTo(metrics.get("effdim_NTK_kpflow_definition").get(axis).asDouble(), within(1e-9));
    }
  }

  @Test
  void eigenvaluesOnlySkipsTheRanksAndTheirApplies() throws Exception {
    JsonNode metrics = new ObjectMapper().readTree(TestPaths.golden("rnn_elman").resolve("metrics.json").toFile());
    JsonNode full = run("rnn_elman", "--op", "NTK", "--top", "10", "--block", "1");
    JsonNode only = run("rnn_elman", "--op", "NTK", "--top", "10", "--block", "1", "--eigenvalues-only");
    for (String field : new String[] {"effective_rank", "effective_rank_kpflow", "partial_effective_dims",
        "partial_effective_dims_kpflow"}) {
      assertThat(only.has(field)).as(field).isFalse();
      assertThat(full.has(field)).as(field).isTrue();
    }
    assertThat(only.get("converged").asInt()).isEqualTo(10);
    for (int i = 0; i < 10; i++) {
      double want = metrics.get("top10").get("NTK").get(i).asDouble();
      assertThat(only.get("eigenvalues").get(i).asDouble()).isCloseTo(want, within(1e-8 * want));
      assertThat(only.get("eigenvalues").get(i).asDouble()).isEqualTo(full.get("eigenvalues").get(i).asDouble());
    }
    assertThat(only.get("applies").asLong()).isLessThan(full.get("applies").asLong() / 10);
  }

  @Test
  void randomizedEigenvaluesOfKAndPptMatchTheGoldenTopTen() throws Exception {
    JsonNode metrics = new ObjectMapper().readTree(TestPaths.golden("gru").resolve("metrics.json").toFile());
    for (String op : new String[] {"K", "PPt"}) {
      JsonNode j = run("gru", "--op", op, "--top", "10");
      assertThat(j.get("converged").asInt()).isEqualTo(10);
      for (int i = 0; i < 10; i++) {
        double want = metrics.get("top10").get(op).get(i).asDouble();
        assertThat(j.get("eigenvalues").get(i).asDouble()).as(op + " " + i).isCloseTo(want, within(1e-8 * want));
      }
    }
    // Singular values of P are the square roots of the eigenvalues of P P*.
    JsonNode p = run("gru", "--op", "P", "--top", "3");
    for (int i = 0; i < 3; i++) {
      double want = Math.sqrt(metrics.get("top10").get("PPt").get(i).asDouble());
      assertThat(p.get("eigenvalues").get(i).asDouble()).isCloseTo(want, within(1e-8 * want));
    }
  }

  @Test
  void unconvergedRequestsExitWithThree() {
    CliTest.Result r = CliTest.run("spectrum", "--model", TestPaths.golden("gru").toString(), "--inputs",
        TestPaths.golden("gru").resolve("inputs.npy").toString(), "--top", "20", "--tol", "1e-300");
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(Main.EXIT_NUMERICAL);
    CliTest.Result bad = CliTest.run("spectrum", "--model", TestPaths.golden("gru").toString(), "--inputs",
        TestPaths.golden("gru").resolve("inputs.npy").toString(), "--top", "91");
    assertThat(bad.code()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(bad.err()).contains("dimension 90");
  }
}
