package io.ntk4j;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The exact tangent operators of an unrolled trajectory (DESIGN.md, "The operators"). State
 * space is [B, T, H]; parameter space is the flat PyTorch-ordered parameter vector.
 *
 * {@snippet :
 * LinearOperator pInverse = session.operator(OperatorKind.fromId("Pinv"));
 * }
 */
public enum OperatorKind {
    /** Propagator P: {@code z_t = q_t + J_t z_{t-1}}. */
    P("P", 1, false, false),
    /** Adjoint P*: {@code y_t = q_t + J_{t+1}^T y_{t+1}}. */
    PT("Pt", 2, false, false),
    /** Inverse P^-1: {@code (P^-1 q)_t = q_t - J_t q_{t-1}}. */
    PINV("Pinv", 3, false, false),
    /** Inverse adjoint P^-*: {@code (P^-* z)_t = z_t - J_{t+1}^T z_{t+1}}. */
    PINVT("Pinvt", 4, false, false),
    /** One-step parameter Jacobian J_theta (parameters to state). */
    JTHETA("Jtheta", 5, true, false),
    /** Its adjoint J_theta^T (state to parameters). */
    JTHETA_T("JthetaT", 6, false, true),
    /** Parameter operator K = J_theta J_theta^T. */
    K("K", 7, false, false),
    /** State-space NTK, NTK_S = P K P*. */
    NTK("NTK", 8, false, false),
    /**
     * The NTK of the outputs, on [B, T, d_output]: the y rows and columns of NTK_S, for models
     * whose state holds their output (attention_mlp).
     */
    NTK_Y("NTK_y", 9, false, false),
    /**
     * NTK_S restricted to the observable state h, on [B, T, H]: the h half of an lstm's [h; c]; for the
     * other cells, whose state is h, NTK_S itself.
     */
    NTK_H("NTK_h", 10, false, false);

    private final String id;
    private final int code;
    private final boolean paramInput;
    private final boolean paramOutput;

    OperatorKind(String id, int code, boolean paramInput, boolean paramOutput) {
        this.id = id;
        this.code = code;
        this.paramInput = paramInput;
        this.paramOutput = paramOutput;
    }

    /** Short name used on the command line ({@code P}, {@code Pt}, {@code NTK}, ...). */
    public String id() {
        return id;
    }

    /** Native code ({@code NTK4J_OP_*}). */
    public int code() {
        return code;
    }

    /** True if the input lives in parameter space. */
    public boolean takesParameters() {
        return paramInput;
    }

    /** True if the output lives in parameter space. */
    public boolean givesParameters() {
        return paramOutput;
    }

    /** The adjoint operator. */
    public OperatorKind adjoint() {
        return switch (this) {
            case P -> PT;
            case PT -> P;
            case PINV -> PINVT;
            case PINVT -> PINV;
            case JTHETA -> JTHETA_T;
            case JTHETA_T -> JTHETA;
            case K, NTK, NTK_Y, NTK_H -> this;
        };
    }

    /** Parses a command-line name, case-insensitively ({@code P}, {@code Pt}, {@code NTK}, ...). */
    public static OperatorKind fromId(String id) {
        for (OperatorKind k : values()) {
            if (k.id.equalsIgnoreCase(id)) {
                return k;
            }
        }
        throw new InvalidInputException("unknown operator \"" + id + "\" (supported: "
                + Arrays.stream(values()).map(OperatorKind::id).collect(Collectors.joining(", ")) + ")");
    }
}
