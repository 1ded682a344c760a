package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The bench command runs its three measurements and reports them consistently (no timing asserted). */
class BenchCommandTest {
  @Test
  void benchReportsEveryFigure() throws Exception {
    CliTest.Result r = CliTest.run("bench", "--json", "--no-peer", "--repeats", "1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("dgemm_gflops").asDouble()).isPositive();
    assertThat(j.get("ntk_apply_gflops").asDouble()).isPositive();
    assertThat(j.get("ntk_apply_fraction_of_dgemm").asDouble())
        .isEqualTo(j.get("ntk_apply_gflops").asDouble() / j.get("dgemm_gflops").asDouble());
    assertThat(j.get("top10_converged").asInt()).isEqualTo(10);
    assertThat(j.get("top10_block1_converged").asInt()).isEqualTo(10);
    assertThat(j.get("top10_eigenvalues")).hasSize(10);
    assertThat(j.get("peer").asText()).startsWith("skipped");
  }
}
