package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.internal.ffi.Ntk4jNative;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one operator vocabulary: every OperatorKind is the header's NTK4J_OP_* constant of its name. */
class OperatorKindTest {
    @Test
    void everyKindCarriesTheHeadersCode() {
        Map<OperatorKind, Integer> header = Map.of(
                OperatorKind.P,
                Ntk4jNative.NTK4J_OP_P(),
                OperatorKind.PT,
                Ntk4jNative.NTK4J_OP_PT(),
                OperatorKind.PINV,
                Ntk4jNative.NTK4J_OP_PINV(),
                OperatorKind.PINVT,
                Ntk4jNative.NTK4J_OP_PINVT(),
                OperatorKind.JTHETA,
                Ntk4jNative.NTK4J_OP_JTHETA(),
                OperatorKind.JTHETA_T,
                Ntk4jNative.NTK4J_OP_JTHETA_T(),
                OperatorKind.K,
                Ntk4jNative.NTK4J_OP_K(),
                OperatorKind.NTK,
                Ntk4jNative.NTK4J_OP_NTK(),
                OperatorKind.NTK_Y,
                Ntk4jNative.NTK4J_OP_NTK_Y(),
                OperatorKind.NTK_H,
                Ntk4jNative.NTK4J_OP_NTK_H());
        assertThat(header).hasSize(OperatorKind.values().length);
        for (OperatorKind k : OperatorKind.values()) {
            assertThat(k.code()).as(k.id()).isEqualTo(header.get(k));
            assertThat(k.adjoint().adjoint()).isEqualTo(k);
            assertThat(OperatorKind.fromId(k.id())).isEqualTo(k);
        }
    }
}
