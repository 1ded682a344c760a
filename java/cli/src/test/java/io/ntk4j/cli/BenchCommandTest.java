package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The bench command runs its measurements and reports them consistently (no timing asserted). */
class BenchCommandTest {
    @Test
    void benchReportsEveryFigure() throws Exception {
        CliTest.Result r = CliTest.run("bench", "--json", "--no-peer", "--repeats", "1", "--rounds", "2");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("dgemm_gflops").asDouble()).isPositive();
        assertThat(j.get("ntk_apply_gflops").asDouble()).isPositive();
        assertThat(j.get("ntk_apply_fraction_of_dgemm").asDouble())
                .isEqualTo(j.get("ntk_apply_gflops").asDouble()
                        / j.get("dgemm_gflops").asDouble());
        assertThat(j.get("lstm_ntk_apply_fraction_of_dgemm").asDouble())
                .isEqualTo(j.get("lstm_ntk_apply_gflops").asDouble()
                        / j.get("dgemm_gflops").asDouble());
        assertThat(j.get("lstm_ntk_apply_gflops").asDouble()).isPositive();
        assertThat(j.get("attention_ntk_apply_fraction_of_dgemm").asDouble())
                .isEqualTo(j.get("attention_ntk_apply_gflops").asDouble()
                        / j.get("dgemm_gflops").asDouble());
        assertThat(j.get("attention_ntk_apply_gflops").asDouble()).isPositive();
        assertThat(j.get("top10_converged").asInt()).isEqualTo(10);
        assertThat(j.get("top10_block1_converged").asInt()).isEqualTo(10);
        assertThat(j.get("top10_eigenvalues")).hasSize(10);
        assertThat(j.get("peer").asText()).startsWith("skipped");
        assertThat(j.get("rounds").asInt()).isEqualTo(2);
        assertThat(j.get("top10_seconds_rounds")).hasSize(2);
        assertThat(j.get("top10_seconds").asDouble())
                .isEqualTo(Math.min(
                        j.get("top10_seconds_rounds").get(0).asDouble(),
                        j.get("top10_seconds_rounds").get(1).asDouble()));
        assertThat(j.get("top10_block1_options").asText()).isEqualTo("--block 1 --basis 100");
        // The BLAS in use, named; (e) the whole default spectrum, run as a user runs it.
        assertThat(j.get("blas_library").asText()).isNotBlank();
        assertThat(j.get("blas_core").asText()).isEqualTo(io.ntk4j.Ntk4j.blas().core());
        // ntk4j's own P/P* kernel is the widest this CPU runs (AVX-512 F alone can come without the
        // rest of what the "avx512" level needs).
        String cpu = j.get("blas_cpu").asText();
        java.util.List<String> expected = switch (cpu) {
            case "avx512" -> java.util.List.of("avx512");
            case "avx2" -> java.util.List.of("avx2+fma", "avx512");
            default -> java.util.List.of("portable");
        };
        assertThat(j.get("ntk4j_kernel").asText())
                .isEqualTo(io.ntk4j.Ntk4j.blas().ownKernel())
                .isIn(expected);
        assertThat(j.get("whole_seconds").asDouble()).isPositive();
        assertThat(j.get("whole_accuracy_met").asBoolean()).isTrue();
        assertThat(j.get("whole_worst_relative_error").asDouble()).isLessThanOrEqualTo(0.01);
        assertThat(j.get("whole_applies").asLong())
                .isGreaterThan(j.get("top10_vector_applies").asLong());
    }

    @Test
    void zeroRoundsAreRefused() {
        CliTest.Result r = CliTest.run("bench", "--rounds", "0", "--no-peer");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--rounds, --repeats and --whole-rounds must be >= 1");
    }
}
