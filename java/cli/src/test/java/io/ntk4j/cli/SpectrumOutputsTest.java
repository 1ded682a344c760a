package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code spectrum}'s threshold rank and {@code --vectors-out}, against the golden spectrum and the operator itself. */
class SpectrumOutputsTest {
    @TempDir
    Path tmp;

    private static final Path GRU = TestPaths.golden("gru");

    private static JsonNode spectrum(String... more) throws Exception {
        String[] args = new String[6 + more.length];
        String[] head = {
            "spectrum",
            "--model",
            GRU.toString(),
            "--inputs",
            GRU.resolve("inputs.npy").toString(),
            "--json"
        };
        System.arraycopy(head, 0, args, 0, 6);
        System.arraycopy(more, 0, args, 6, more.length);
        CliTest.Result r = CliTest.run(args);
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void thresholdRankIsTheGoldenSpectrumsAndTheEstimateBracketsIt() throws Exception {
        double[] eig;
        try (Arena arena = Arena.ofConfined()) {
            eig = Npy.read(GRU.resolve("eig_NTK.npy"), arena).toArray();
        }
        for (double q : new double[] {0.5, 0.9, 0.95}) {
            double total = 0, acc = 0;
            for (double v : eig) {
                total += v;
            }
            int want = 0;
            while (acc < q * total) {
                acc += eig[want++];
            }
            JsonNode exact = spectrum("--op", "NTK", "--top", "3", "--exact", "--threshold", Double.toString(q));
            assertThat(exact.get("threshold_rank").get("rank").asInt())
                    .as("q " + q)
                    .isEqualTo(want);
            // Estimated: with enough top eigenvalues the interval holds the exact rank.
            JsonNode est = spectrum("--op", "NTK", "--top", "30", "--threshold", Double.toString(q));
            JsonNode t = est.get("threshold_rank");
            assertThat(t.get("exact").asBoolean()).isFalse();
            assertThat(t.get("lower").asInt()).isLessThanOrEqualTo(want);
            assertThat(t.get("upper").asInt()).isGreaterThanOrEqualTo(want);
        }
    }

    @Test
    void vectorsOutHoldsOrthonormalEigenvectorsBothWays() throws Exception {
        for (String mode : new String[] {"--exact", "--eigenvalues-only"}) {
            Path file = tmp.resolve("v" + mode + ".npy");
            JsonNode j = spectrum("--op", "NTK", "--top", "4", mode, "--vectors-out", file.toString());
            assertThat(j.get("vectors").get("shape").toString()).isEqualTo("[4,3,6,5]");
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(ModelFiles.load(GRU), Npy.read(GRU.resolve("inputs.npy"), arena))) {
                Tensor v = Npy.read(file, arena);
                Tensor av = s.ntk().apply(v, arena);
                long n = 3 * 6 * 5;
                for (int i = 0; i < 4; i++) {
                    double lambda = j.get("eigenvalues").get(i).asDouble(), res = 0;
                    for (int k = 0; k < 4; k++) {
                        double dot = 0;
                        for (long x = 0; x < n; x++) {
                            dot += v.getFlat(i * n + x) * v.getFlat(k * n + x);
                        }
                        assertThat(dot).isCloseTo(i == k ? 1 : 0, org.assertj.core.data.Offset.offset(1e-10));
                    }
                    for (long x = 0; x < n; x++) {
                        double d = av.getFlat(i * n + x) - lambda * v.getFlat(i * n + x);
                        res += d * d;
                    }
                    assertThat(Math.sqrt(res)).as(mode + " residual " + i).isLessThanOrEqualTo(1e-8 * lambda);
                }
            }
        }
    }
}
