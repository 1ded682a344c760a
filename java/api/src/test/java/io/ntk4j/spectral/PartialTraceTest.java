package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Partial traces of NTK_S against the dense golden matrix. */
class PartialTraceTest {
    @Test
    void bothReductionsMatchTheDenseMatrixOnEveryAxis() {
        Path dir = TestPaths.golden("gru");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
            Tensor dense = Npy.read(dir.resolve("NTK_dense.npy"), arena);
            long b = s.batch(), t = s.steps(), h = s.hiddenSize(), n = b * t * h;
            for (Axis axis : Axis.values()) {
                long m = axis.length(b, t, h);
                for (Reduction red : Reduction.values()) {
                    Tensor want = Tensor.allocate(arena, m, m);
                    for (long i = 0; i < n; i++) {
                        for (long j = 0; j < n; j++) {
                            if (red == Reduction.KPFLOW || axis.traced(i, t, h) == axis.traced(j, t, h)) {
                                long r = axis.kept(i, t, h), c = axis.kept(j, t, h);
                                want.setFlat(r * m + c, want.getFlat(r * m + c) + dense.getFlat(i * n + j));
                            }
                        }
                    }
                    Tensor got = PartialTrace.of(s.ntk(), b, t, h, axis, red, 0, 1, arena);
                    assertThat(Tensor.relativeError(got, want))
                            .as(axis + " " + red)
                            .isLessThan(1e-12);
                }
                // The random-sign estimate of the true partial trace converges to it.
                Tensor exact = PartialTrace.of(s.ntk(), b, t, h, axis, Reduction.TRUE_PARTIAL_TRACE, 0, 1, arena);
                Tensor est = PartialTrace.of(s.ntk(), b, t, h, axis, Reduction.TRUE_PARTIAL_TRACE, 400, 3, arena);
                assertThat(Tensor.relativeError(est, exact))
                        .as(axis + " estimate")
                        .isLessThan(0.2);
                Tensor avg = PartialTrace.average(s.ntk(), b, t, h, axis, Reduction.TRUE_PARTIAL_TRACE, 0, 1, arena);
                assertThat(avg.getFlat(0) * (n / m))
                        .isCloseTo(exact.getFlat(0), org.assertj.core.api.Assertions.within(1e-12));
            }
        }
    }
}
