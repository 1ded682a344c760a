package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.NumericalException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The Java operator algebra, user operators through upcalls, and the errors of the solvers. */
class OperatorAlgebraTest {
    /** diag(1, 2, ..., n) written in Java. */
    static LinearOperator diagonal(long n, AtomicLong calls) {
        return LinearOperator.symmetric(n, (in, out) -> {
            calls.incrementAndGet();
            for (long i = 0; i < in.size(); i++) {
                out.setFlat(i, (i % n + 1) * in.getFlat(i));
            }
        });
    }

    @Test
    void lanczosOnAJavaOperatorThroughUpcalls() {
        AtomicLong calls = new AtomicLong();
        EigenResult r = Eigs.top(diagonal(500, calls), EigsOptions.top(4).withVectors(true));
        assertThat(r.isConverged()).isTrue();
        assertThat(r.values()).containsExactly(new double[] {500, 499, 498, 497}, within(1e-8));
        assertThat(calls.get()).isEqualTo(r.blockApplies());
        // The top eigenvector is e_500 (up to sign).
        assertThat(Math.abs(r.vectors().get(0, 499))).isCloseTo(1.0, within(1e-8));
    }

    @Test
    void javaCallbackExceptionsArrivePlainInJava() {
        LinearOperator broken = LinearOperator.symmetric(50, (in, out) -> {
            throw new IllegalStateException("my operator is broken");
        });
        assertThatThrownBy(() -> Eigs.top(broken, EigsOptions.top(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("my operator is broken");
    }

    @Test
    void badRequestsGetClearErrors() {
        AtomicLong calls = new AtomicLong();
        LinearOperator d = diagonal(20, calls);
        assertThatThrownBy(() -> Eigs.top(d, EigsOptions.top(21)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("dimension 20");
        assertThatThrownBy(() -> EigsOptions.top(0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("k");
        assertThatThrownBy(() -> EigsOptions.top(3).withTol(0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("tolerance");
        assertThatThrownBy(() -> EigsOptions.top(3).withTol(Double.NaN)).isInstanceOf(InvalidInputException.class);
        LinearOperator nan = LinearOperator.symmetric(30, (in, out) -> {
            for (long i = 0; i < out.size(); i++) {
                out.setFlat(i, Double.NaN);
            }
        });
        assertThatThrownBy(() -> Eigs.top(nan, EigsOptions.top(2)))
                .isInstanceOf(NumericalException.class)
                .hasMessageContaining("non-finite");
        LinearOperator notSymmetric = LinearOperator.of(
                30,
                30,
                (in, out) -> {
                    for (long i = 0; i < in.size(); i++) {
                        out.setFlat(i, (i % 30 == 0 ? 5 : 1) * in.getFlat(i - i % 30));
                    }
                },
                (in, out) -> {});
        assertThatThrownBy(() -> Eigs.top(notSymmetric, EigsOptions.top(2)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not symmetric");
    }

    @Test
    void nonConvergenceIsReportedOnTheResult() {
        LinearOperator clustered = LinearOperator.symmetric(3000, (in, out) -> {
            for (long i = 0; i < in.size(); i++) {
                out.setFlat(i, in.getFlat(i) / (1 + 0.0005 * (i % 3000)));
            }
        });
        EigenResult r = Eigs.top(
                clustered,
                EigsOptions.top(6)
                        .withBlock(2)
                        .withMaxBasis(10)
                        .withMaxRestarts(1)
                        .withTol(1e-13));
        assertThat(r.isConverged()).isFalse();
        long really = java.util.Arrays.stream(r.residuals())
                .filter(x -> x <= 1e-13 * r.values()[0])
                .count();
        assertThat(r.converged()).isEqualTo(really);
        assertThat(r.restarts()).isEqualTo(1);
    }

    @Test
    void compositionsOfSessionOperatorsRunNativelyAndAgree() {
        Path dir = TestPaths.golden("gru");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena));
                LinearOperator pkpt = s.P().compose(s.K()).compose(s.Pt());
                LinearOperator jjt = s.P().compose(s.jtheta()).gram();
                LinearOperator twice = s.ntk().plus(s.ntk());
                LinearOperator half = twice.scale(0.5);
                LinearOperator adj = s.P().adjoint()) {
            Tensor q = Npy.read(dir.resolve("q.npy"), arena).reshape(1, 90);
            Tensor want = Npy.read(dir.resolve("NTK_q.npy"), arena);
            for (LinearOperator op : new LinearOperator[] {pkpt, jjt, half}) {
                Tensor out = Tensor.allocate(arena, 1, 90);
                op.apply(q, out);
                assertThat(Tensor.relativeError(out, want)).as(op.toString()).isLessThan(1e-13);
            }
            Tensor pt = Tensor.allocate(arena, 1, 90);
            adj.apply(q, pt);
            assertThat(Tensor.relativeError(pt, Npy.read(dir.resolve("Pt_q.npy"), arena)))
                    .isLessThan(1e-14);
            assertThat(jjt.isSymmetric()).isTrue();
            // A Java operator composed with native ones: diag(2) NTK_S.
            LinearOperator two = LinearOperator.symmetric(90, (in, out) -> {
                for (long i = 0; i < in.size(); i++) {
                    out.setFlat(i, 2 * in.getFlat(i));
                }
            });
            try (LinearOperator mixed = two.compose(s.ntk())) {
                Tensor out = Tensor.allocate(arena, 1, 90);
                mixed.apply(q, out);
                for (long i = 0; i < 90; i++) {
                    assertThat(out.getFlat(i))
                            .isCloseTo(2 * want.getFlat(i), within(1e-14 * 2 * Math.abs(want.getFlat(i)) + 1e-300));
                }
            }
        }
    }

    @Test
    void closedOperatorsThrowAndDerivedOnesSurvive() {
        AtomicLong calls = new AtomicLong();
        LinearOperator base = diagonal(10, calls).scale(1.0); // built by the algebra: holds a native handle
        LinearOperator g = base.gram();
        base.close();
        base.close();
        assertThatThrownBy(base::gram).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, 1, 10);
            x.setFlat(9, 1);
            Tensor y = Tensor.allocate(arena, 1, 10);
            g.apply(x, y);
            assertThat(y.getFlat(9)).isEqualTo(100.0);
        }
        g.close();
    }

    @Test
    void nothingNeedsClosingAndUnclosedCompositionsAreReleased() {
        Path dir = TestPaths.golden("rnn_leaky_dt1");
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena))) {
            // A session's operators hold nothing: close() is a no-op, the adjoint is the session's own.
            LinearOperator p = s.P();
            p.close();
            assertThat(s.P().adjoint().toString()).isEqualTo(s.Pt().toString());
            Tensor q = Npy.read(dir.resolve("q.npy"), arena).reshape(1, 90);
            Tensor out = Tensor.allocate(arena, 1, 90);
            p.apply(q, out); // still usable after close()
            // Compositions never closed are released once unreachable (the native handle count comes
            // back down), and the ones still referenced keep working meanwhile.
            LinearOperator kept = s.P().compose(s.K()).compose(s.Pt());
            long before = io.ntk4j.internal.ffi.Ntk4jNative.ntk4j_operator_handles_live();
            for (int i = 0; i < 2000; i++) {
                s.P().compose(s.K()).compose(s.Pt()).gram();
            }
            long peak = io.ntk4j.internal.ffi.Ntk4jNative.ntk4j_operator_handles_live();
            assertThat(peak).as("the dropped compositions held handles").isGreaterThan(before);
            long now = peak;
            for (int round = 0; round < 100 && now > before; round++) {
                System.gc();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                now = io.ntk4j.internal.ffi.Ntk4jNative.ntk4j_operator_handles_live();
            }
            assertThat(now)
                    .as("live handles: %d before, %d at the peak", before, peak)
                    .isLessThanOrEqualTo(before);
            kept.apply(q, out);
            assertThat(Tensor.relativeError(out, Npy.read(dir.resolve("NTK_q.npy"), arena)))
                    .isLessThan(1e-14);
            long withKept = io.ntk4j.internal.ffi.Ntk4jNative.ntk4j_operator_handles_live();
            kept.close();
            assertThat(io.ntk4j.internal.ffi.Ntk4jNative.ntk4j_operator_handles_live())
                    .as("close() releases at once")
                    .isEqualTo(withKept - 1);
        }
    }

    @Test
    void operatorsOutliveTheSessionTheyCameFrom() {
        Path dir = TestPaths.golden("rnn_leaky_dt1");
        try (Arena arena = Arena.ofConfined()) {
            Session s = Session.open(ModelFiles.load(dir), Npy.read(dir.resolve("inputs.npy"), arena));
            LinearOperator ntk = s.ntk().scale(1.0); // a native operator sharing the session's state
            s.close();
            assertThatThrownBy(s::ntk).isInstanceOf(IllegalStateException.class);
            // The native state is shared: the operator still applies and still gives the golden product.
            Tensor q = Npy.read(dir.resolve("q.npy"), arena).reshape(1, 90);
            Tensor out = Tensor.allocate(arena, 1, 90);
            ntk.apply(q, out);
            assertThat(Tensor.relativeError(out, Npy.read(dir.resolve("NTK_q.npy"), arena)))
                    .isLessThan(1e-14);
            ntk.close();
            assertThatThrownBy(() -> ntk.apply(q, out)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void javaOperatorsCanBeUsedFromSeveralThreads() throws Exception {
        AtomicLong calls = new AtomicLong();
        LinearOperator d = diagonal(300, calls);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<double[]>>();
            for (int i = 0; i < 6; i++) {
                int seed = i;
                futures.add(pool.submit(
                        () -> Eigs.top(d, EigsOptions.top(3).withSeed(seed + 1)).values()));
            }
            for (var f : futures) {
                assertThat(f.get()).containsExactly(new double[] {300, 299, 298}, within(1e-8));
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void randomizedTracesAgreeWithExactOnALargerOperator() {
        SplittableRandom rng = new SplittableRandom(3);
        double[] d = new double[800];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.pow(0.97, i) * (1 + 0.1 * rng.nextDouble());
        }
        LinearOperator diag = LinearOperator.symmetric(d.length, (in, out) -> {
            for (long i = 0; i < in.size(); i++) {
                out.setFlat(i, d[(int) (i % d.length)] * in.getFlat(i));
            }
        });
        TraceEstimates exact = Traces.exact(diag);
        TraceEstimates est = Traces.estimate(diag, 300, 5);
        assertThat(est.effectiveRank().value())
                .isCloseTo(
                        exact.effectiveRank().value(),
                        within(0.02 * exact.effectiveRank().value()));
        assertThat(est.trace().stdError()).isPositive();
    }
}
