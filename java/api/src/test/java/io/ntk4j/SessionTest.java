package io.ntk4j;

import static io.ntk4j.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Lifecycle and argument checking of Session and its operators. */
class SessionTest {
    static final int B = 2, T = 4, H = 3, N = 2;

    private static Session open(Arena arena) {
        return Session.open(RandomModels.model(CellKind.RNN_ELMAN, true, H, N, 1), gaussian(arena, 2, B, T, N));
    }

    @Test
    void closedSessionThrowsAndDoubleCloseIsHarmless() {
        try (Arena arena = Arena.ofConfined()) {
            Session s = open(arena);
            LinearOperator p = s.P();
            Tensor q = gaussian(arena, 3, B, T, H);
            s.close();
            s.close();
            assertThat(s.isClosed()).isTrue();
            assertThatThrownBy(() -> p.apply(q, arena))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(s::ntk).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> s.hidden(arena)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void shapesAreCheckedWithBothShapesInTheMessage() {
        try (Arena arena = Arena.ofConfined();
                Session s = open(arena)) {
            Tensor wrong = Tensor.allocate(arena, B, T, H + 1);
            assertThatThrownBy(() -> s.P().apply(wrong, arena))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("[2, 4, 4]")
                    .hasMessageContaining("[2, 4, 3]");
            Tensor q = Tensor.allocate(arena, 2, B, T, H);
            Tensor outK1 = Tensor.allocate(arena, 1, B, T, H);
            assertThatThrownBy(() -> s.K().apply(q, outK1))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("output");
            Tensor params = Tensor.allocate(arena, 2, s.numParams());
            Tensor outState = Tensor.allocate(arena, 2, B, T, H);
            s.jtheta().apply(params, outState);
            assertThatThrownBy(() -> s.jtheta().apply(outState, params)).isInstanceOf(InvalidInputException.class);
        }
    }

    @Test
    void nonFiniteProbesAndInputsAreRejected() {
        try (Arena arena = Arena.ofConfined();
                Session s = open(arena)) {
            Tensor q = gaussian(arena, 3, B, T, H);
            q.set(Double.NaN, 1, 2, 0);
            assertThatThrownBy(() -> s.ntk().apply(q, arena))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("non-finite");
            Tensor x = gaussian(arena, 4, B, T, N);
            x.set(Double.POSITIVE_INFINITY, 0, 0, 1);
            Model m = RandomModels.model(CellKind.GRU, true, H, N, 5);
            assertThatThrownBy(() -> Session.open(m, x))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("inputs");
        }
    }

    @Test
    void divergingTrajectoryIsANumericalFailure() {
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", new double[] {1e300, 1e300});
        p.put("weight_hh", new double[] {1e300, 1e300, 1e300, 1e300});
        Model m = Model.of(CellKind.RNN_LEAKY, 2, 1, 1.0, false, p);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.of(arena, new double[] {1e300, 1e300, 1e300}, 1, 3, 1);
            assertThatThrownBy(() -> Session.open(m, x))
                    .isInstanceOf(NumericalException.class)
                    .hasMessageContaining("trajectory");
        }
    }

    @Test
    void h0IsUsedAndChecked() {
        try (Arena arena = Arena.ofConfined()) {
            Model m = RandomModels.model(CellKind.GRU, true, H, N, 5);
            Tensor x = gaussian(arena, 6, B, T, N);
            Tensor h0 = gaussian(arena, 7, B, H);
            try (Session zero = Session.open(m, x);
                    Session from = Session.open(m, x, h0)) {
                assertThat(from.hidden(arena).get(0, 0, 0))
                        .isNotEqualTo(zero.hidden(arena).get(0, 0, 0));
            }
            assertThatThrownBy(() -> Session.open(m, x, Tensor.allocate(arena, B, H + 1)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("h0");
        }
    }

    @Test
    void heapSegmentsAreRefused() {
        assertThatThrownBy(() -> Tensor.wrap(MemorySegment.ofArray(new double[6]), 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("off-heap");
    }

    @Test
    void concurrentAppliesOnOneSessionAgree() throws Exception {
        try (Arena arena = Arena.ofShared();
                Session s = open(arena)) {
            Tensor q = gaussian(arena, 8, 3, B, T, H);
            Tensor expected = s.ntk().apply(q, arena);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Double>> results = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    results.add(pool.submit(() -> {
                        Tensor out = Tensor.allocate(arena, q.shape());
                        s.ntk().apply(q, out);
                        return TestPaths.relativeError(out, expected);
                    }));
                }
                for (Future<Double> f : results) {
                    assertThat(f.get()).isEqualTo(0.0);
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void toStringUsesOperatorNotation() {
        try (Arena arena = Arena.ofConfined();
                Session s = open(arena)) {
            assertThat(s.ntk().toString()).isEqualTo("NTK(B=2,T=4,H=3)");
            assertThat(s.P().adjoint().toString()).isEqualTo("Pt(B=2,T=4,H=3)");
        }
    }
}
