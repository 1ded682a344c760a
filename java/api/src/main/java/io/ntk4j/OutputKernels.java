package io.ntk4j;

import java.lang.foreign.Arena;

/**
 * The NTK of a model's outputs and the cross kernels between two input batches (DESIGN.md,
 * "Output NTK and cross kernels"), built from the session operators by the native algebra.
 *
 * <p>For a recurrent model with a readout y = W_out h + b_out, the Jacobian of y [B, T, O] with
 * respect to every parameter (the cell's theta, then W_out and b_out) is J_y = [R P J_theta | J_ro]
 * with R = I_{BT} (x) [W_out 0] (the readout of h; an LSTM's c is not read), so that
 *
 * <pre>
 *   Theta_y          = R NTK_S R*  +  (A A^T) (x) I_O,        A = [h_bt, 1] rows over (b, t)
 *   Theta_y(x1, x2)  = R P1 J1 J2^T P2* R*  +  (A1 A2^T) (x) I_O
 * </pre>
 *
 * the second term being the readout parameters' own kernel. For attention_mlp, whose output y is
 * the last block of its state, R = E_y and there is no separate readout. The state-space cross
 * kernel is Theta_S(x1, x2) = P1 J_theta1 J_theta2^T P2*.
 *
 * {@snippet :
 * try (Session train = Session.open(model, xTrain); Session test = Session.open(model, xTest)) {
 *   LinearOperator ntkY = OutputKernels.ntk(train, readout);          // [B,T,O] -> [B,T,O]
 *   LinearOperator cross = OutputKernels.cross(test, train, readout); // train outputs -> test outputs
 *   double[] dense = cross.toDense();                                 // small sizes
 * }
 * }
 */
public final class OutputKernels {
    private OutputKernels() {}

    /**
     * The output NTK on the session's inputs, [B, T, O] -&gt; [B, T, O], symmetric. {@code readout}
     * is required for a recurrent model and must be null for attention_mlp.
     */
    public static LinearOperator ntk(Session s, Readout readout) {
        check(s, readout);
        if (readout == null) {
            return s.ntkOutputs();
        }
        return s.ntk()
                .congruence(readOut(s, readout))
                .plus(readoutTerm(s, readout).adjoint().gram());
    }

    /**
     * The output cross kernel Theta_y(x1, x2) from the outputs of {@code s2}'s batch to those of
     * {@code s1}'s: [B2, T2, O] -&gt; [B1, T1, O]. Both sessions are of models with the same layout
     * (the same parameter space); {@link #ntk} is the case s1 = s2.
     */
    public static LinearOperator cross(Session s1, Session s2, Readout readout) {
        check(s1, readout);
        check(s2, readout);
        LinearOperator state = crossState(s1, s2);
        LinearOperator y =
                readOut(s1, readout).compose(state).compose(readOut(s2, readout).adjoint());
        if (readout == null) {
            return y;
        }
        return y.plus(readoutTerm(s1, readout).adjoint().compose(readoutTerm(s2, readout)));
    }

    /** The state-space cross kernel P1 J_theta1 J_theta2^T P2*: [B2, T2, S] -&gt; [B1, T1, S]. */
    public static LinearOperator crossState(Session s1, Session s2) {
        Model a = s1.model(), b = s2.model();
        if (a.cell() != b.cell()
                || a.numParams() != b.numParams()
                || s1.hiddenSize() != s2.hiddenSize()
                || s1.inputSize() != s2.inputSize()) {
            throw new InvalidInputException(
                    "a cross kernel needs two sessions of models with the same layout, got " + a + " and " + b);
        }
        return s1.P().compose(s1.jtheta()).compose(s2.P().compose(s2.jtheta()).adjoint());
    }

    /** Shape [B, T, O] of the outputs the kernels act on. */
    public static long[] outputsShape(Session s, Readout readout) {
        check(s, readout);
        return readout == null ? s.outputsShape() : new long[] {s.batch(), s.steps(), readout.outputSize()};
    }

    private static void check(Session s, Readout readout) {
        boolean attention = s.model().attentionConfig() != null;
        if (attention && readout != null) {
            throw new InvalidInputException(
                    "attention_mlp has its output layer inside (mlp.final_linear): no separate readout");
        }
        if (!attention && readout == null) {
            throw new InvalidInputException("the output NTK of a recurrent model needs its readout y = W_out h + b_out"
                    + " (readout_weight.npy and readout_bias.npy in the model directory, or Wout.* in a state dict)");
        }
        if (!attention && readout.hiddenSize() != s.model().hiddenSize()) {
            throw new InvalidInputException("readout has H=" + readout.hiddenSize() + " but the model "
                    + s.model().hiddenSize());
        }
    }

    /** R = I_{BT} (x) [W_out 0] (O x S per step), or E_y for attention_mlp: the state's outputs. */
    private static LinearOperator readOut(Session s, Readout readout) {
        int sw = Math.toIntExact(s.hiddenSize());
        int o, at;
        double[] w;
        if (readout == null) {
            AttentionMlpConfig cfg = s.model().attentionConfig();
            o = cfg.dOutput();
            at = cfg.outputOffset();
            w = new double[o * sw];
            for (int i = 0; i < o; i++) {
                w[i * sw + at + i] = 1.0;
            }
        } else {
            o = readout.outputSize();
            int h = readout.hiddenSize();
            double[] wo = readout.weight();
            w = new double[o * sw];
            for (int i = 0; i < o; i++) {
                System.arraycopy(wo, i * h, w, i * sw, h);
            }
        }
        return LinearOperator.kronecker(s.batch() * s.steps(), w, o, sw, 1);
    }

    /**
     * M = A^T (x) I_O: [BT, O] -&gt; [H + 1, O], with A = [h, 1] (BT x (H + 1)); the readout
     * parameters' kernel is M* M = (A A^T) (x) I_O.
     */
    private static LinearOperator readoutTerm(Session s, Readout readout) {
        long bt = s.batch() * s.steps();
        int h = readout.hiddenSize(), sw = Math.toIntExact(s.hiddenSize());
        if ((h + 1) * bt > Integer.MAX_VALUE) {
            throw new InvalidInputException("B*T*(H+1) = " + (h + 1) * bt + " is too large for the readout term");
        }
        double[] at = new double[Math.toIntExact((h + 1) * bt)];
        try (Arena arena = Arena.ofConfined()) {
            Tensor state = s.hidden(arena);
            for (long r = 0; r < bt; r++) {
                for (int i = 0; i < h; i++) {
                    at[Math.toIntExact(i * bt + r)] = state.getFlat(r * sw + i);
                }
                at[Math.toIntExact(h * bt + r)] = 1.0;
            }
        }
        return LinearOperator.kronecker(1, at, h + 1, Math.toIntExact(bt), readout.outputSize());
    }
}
