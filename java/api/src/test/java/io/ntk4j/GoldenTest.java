package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every stored product of the golden cases (tests/golden, from PyTorch and exact dense float64
 * math) reproduced from Java, through the jextract bindings, to a relative error <= 1e-10.
 */
class GoldenTest {
    static final double TOL = 1e-10;

    private static Tensor load(Arena arena, String c, String file) {
        return Npy.read(TestPaths.golden(c).resolve(file), arena);
    }

    @ParameterizedTest
    @MethodSource("io.ntk4j.TestPaths#goldenCases")
    void trajectoryMatches(String c) {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(TestPaths.golden(c)), load(arena, c, "inputs.npy"))) {
            assertThat(TestPaths.relativeError(s.hidden(arena), load(arena, c, "hidden.npy")))
                    .isLessThanOrEqualTo(TOL);
        }
    }

    @ParameterizedTest
    @MethodSource("io.ntk4j.TestPaths#goldenCases")
    void operatorProductsMatch(String c) {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(TestPaths.golden(c)), load(arena, c, "inputs.npy"))) {
            Tensor q = load(arena, c, "q.npy"), v = load(arena, c, "v.npy");
            check(s.P().apply(q, arena), load(arena, c, "P_q.npy"), c + " P q");
            check(s.Pt().apply(q, arena), load(arena, c, "Pt_q.npy"), c + " P* q");
            check(s.Pinv().apply(q, arena), load(arena, c, "Pinv_q.npy"), c + " P^-1 q");
            check(s.Pinvt().apply(q, arena), load(arena, c, "Pinvt_q.npy"), c + " P^-* q");
            check(s.K().apply(q, arena), load(arena, c, "K_q.npy"), c + " K q");
            check(s.ntk().apply(q, arena), load(arena, c, "NTK_q.npy"), c + " NTK_S q");
            // NTK_S = J J^T with J the full-unroll Jacobian (PyTorch jvp/vjp of the whole trajectory).
            check(s.ntk().apply(q, arena), load(arena, c, "JJt_q.npy"), c + " NTK_S q vs J J^T q");
            check(s.jtheta().apply(v, arena), load(arena, c, "Jtheta_v.npy"), c + " J_theta v");
            check(s.jthetaT().apply(q, arena), load(arena, c, "Jtheta_t_q.npy"), c + " J_theta^T q");
            // Full-unroll J = P J_theta and J^T = J_theta^T P*.
            check(s.P().apply(s.jtheta().apply(v, arena), arena), load(arena, c, "Jfull_v.npy"), c + " J v");
            check(s.jthetaT().apply(s.Pt().apply(q, arena), arena), load(arena, c, "Jfull_t_q.npy"), c + " J^T q");
        }
    }

    /** Dense matrices (n = B*T*H <= 200) from one block apply on the identity, k = n probes. */
    @ParameterizedTest
    @MethodSource("io.ntk4j.TestPaths#goldenCases")
    void denseOperatorsMatch(String c) {
        Path dir = TestPaths.golden(c);
        if (!Files.exists(dir.resolve("P_dense.npy"))) {
            throw new AssertionError(c + " has no dense matrices");
        }
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(ModelFiles.load(dir), load(arena, c, "inputs.npy"))) {
            long n = s.batch() * s.steps() * s.hiddenSize();
            long np = s.numParams();
            Tensor eye = TestPaths.identity(arena, n, s.stateShape());
            Tensor eyeP = TestPaths.identity(arena, np, new long[] {np});
            check(
                    transpose(arena, s.P().apply(eye, arena).reshape(n, n)),
                    load(arena, c, "P_dense.npy"),
                    c + " dense P");
            check(
                    transpose(arena, s.K().apply(eye, arena).reshape(n, n)),
                    load(arena, c, "K_dense.npy"),
                    c + " dense K");
            check(
                    transpose(arena, s.ntk().apply(eye, arena).reshape(n, n)),
                    load(arena, c, "NTK_dense.npy"),
                    c + " dense NTK_S");
            // J_theta^T applied to e_i gives row i of dense J_theta ([n, n_params]).
            check(
                    s.jthetaT().apply(eye, arena).reshape(n, np),
                    load(arena, c, "Jtheta_dense.npy"),
                    c + " dense J_theta");
            check(
                    transpose(arena, s.jtheta().apply(eyeP, arena).reshape(np, n)),
                    load(arena, c, "Jtheta_dense.npy"),
                    c + " dense J_theta (forward)");
        }
    }

    private static void check(Tensor actual, Tensor expected, String what) {
        assertThat(actual.shape()).as(what + " shape").isEqualTo(expected.shape());
        double err = TestPaths.relativeError(actual, expected);
        assertThat(err).as(what + " relative error").isLessThanOrEqualTo(TOL);
    }

    private static Tensor transpose(Arena arena, Tensor m) {
        long r = m.dim(0), c = m.dim(1);
        Tensor t = Tensor.allocate(arena, c, r);
        for (long i = 0; i < r; i++) {
            for (long j = 0; j < c; j++) {
                t.set(m.get(i, j), j, i);
            }
        }
        return t;
    }
}
