package io.ntk4j;

import static io.ntk4j.RandomModels.dot;
import static io.ntk4j.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operator identities of issue 2 checked from Java through the bindings, on random models of
 * every cell (the C++ suite checks them again natively, plus finite differences).
 */
class IdentitiesTest {
    static final int B = 3, T = 7, H = 6, N = 2, K = 3;

    static Stream<Arguments> cells() {
        return Stream.of(
                Arguments.of(CellKind.RNN_LEAKY, false),
                Arguments.of(CellKind.RNN_ELMAN, true),
                Arguments.of(CellKind.RNN_ELMAN, false),
                Arguments.of(CellKind.GRU, true),
                Arguments.of(CellKind.GRU, false));
    }

    @ParameterizedTest
    @MethodSource("cells")
    void adjointIdentities(CellKind cell, boolean bias) {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(RandomModels.model(cell, bias, H, N, 5), gaussian(arena, 6, B, T, N))) {
            Tensor x = gaussian(arena, 7, K, B, T, H), y = gaussian(arena, 8, K, B, T, H);
            Tensor v = gaussian(arena, 9, K, s.numParams());
            double px = dot(s.P().apply(x, arena), y), xpy = dot(x, s.Pt().apply(y, arena));
            assertThat(px).isCloseTo(xpy, within(1e-12 * Math.abs(px)));
            double jv = dot(s.jtheta().apply(v, arena), y),
                    vjy = dot(v, s.jthetaT().apply(y, arena));
            assertThat(jv).isCloseTo(vjy, within(1e-12 * Math.abs(jv)));
            double pinv = dot(s.Pinv().apply(x, arena), y),
                    pinvt = dot(x, s.Pinvt().apply(y, arena));
            assertThat(pinv).isCloseTo(pinvt, within(1e-12 * Math.abs(pinv)));
            double kxy = dot(s.K().apply(x, arena), y), xky = dot(x, s.K().apply(y, arena));
            assertThat(kxy).isCloseTo(xky, within(1e-12 * Math.abs(kxy)));
        }
    }

    @ParameterizedTest
    @MethodSource("cells")
    void inverseUndoesP(CellKind cell, boolean bias) {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(RandomModels.model(cell, bias, H, N, 15), gaussian(arena, 16, B, T, N))) {
            Tensor x = gaussian(arena, 17, K, B, T, H);
            assertThat(TestPaths.relativeError(s.Pinv().apply(s.P().apply(x, arena), arena), x))
                    .isLessThan(1e-13);
            assertThat(TestPaths.relativeError(s.P().apply(s.Pinv().apply(x, arena), arena), x))
                    .isLessThan(1e-13);
            assertThat(TestPaths.relativeError(s.Pinvt().apply(s.Pt().apply(x, arena), arena), x))
                    .isLessThan(1e-13);
        }
    }

    @ParameterizedTest
    @MethodSource("cells")
    void ntkIsPKPtAndJJt(CellKind cell, boolean bias) {
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(RandomModels.model(cell, bias, H, N, 25), gaussian(arena, 26, B, T, N))) {
            Tensor q = gaussian(arena, 27, K, B, T, H);
            Tensor ntk = s.ntk().apply(q, arena);
            Tensor composed = s.P().apply(s.K().apply(s.Pt().apply(q, arena), arena), arena);
            Tensor jjt = s.P().apply(s.jtheta().apply(s.jthetaT().apply(s.Pt().apply(q, arena), arena), arena), arena);
            assertThat(TestPaths.relativeError(ntk, composed)).isLessThan(1e-13);
            assertThat(TestPaths.relativeError(ntk, jjt)).isLessThan(1e-13);
        }
    }
}
