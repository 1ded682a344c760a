package io.ntk4j;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The recurrent cells ntk4j knows, with PyTorch's conventions (DESIGN.md, "Conventions").
 *
 * {@snippet :
 * CellKind cell = CellKind.fromId("rnn_leaky");
 * boolean hasDt = cell.usesDt();   // true: h' = (1-dt) h + dt (W_hh tanh h + W_ih x)
 * }
 */
public enum CellKind {
    /** {@code h' = (1-dt) h + dt (W_hh tanh(h) + W_ih x)}, no bias (KPFlow's BasicRNNCell). */
    RNN_LEAKY("rnn_leaky", 1, 1),
    /** {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)} ({@code torch.nn.RNNCell}). */
    RNN_ELMAN("rnn_elman", 2, 1),
    /** {@code torch.nn.GRUCell}, gate order r, z, n. */
    GRU("gru", 3, 3),
    /**
     * {@code h' = relu(W_ih x + b_ih + W_hh h + b_hh)} ({@code torch.nn.RNNCell(nonlinearity='relu')});
     * relu'(0) = 0, as in PyTorch.
     */
    RNN_RELU("rnn_relu", 4, 1),
    /** {@code h' = (1-dt) h + dt (W_hh h + W_ih x)}, no bias (KPFlow's BasicRNN with {@code linear=True}). */
    RNN_LINEAR("rnn_linear", 5, 1),
    /**
     * {@code torch.nn.LSTMCell}, gates i, f, g, o; the state is {@code [h; c]} (2H per step), so the
     * operators act on [B, T, 2H].
     */
    LSTM("lstm", 6, 4),
    /**
     * Not a recurrent cell: the feed-forward self-attention block of the Global-NTK paper
     * ({@link AttentionMlpConfig}); its models come from {@link Model#attentionMlp}. The operators act
     * on [B, T, S], S the width of one token's stacked activations.
     */
    ATTENTION_MLP("attention_mlp", 7, 1);

    private final String id;
    private final int code;
    private final int gates;

    CellKind(String id, int code, int gates) {
        this.id = id;
        this.code = code;
        this.gates = gates;
    }

    /** The name used in model.json ({@code rnn_leaky}, {@code rnn_elman}, {@code gru}, {@code rnn_relu}, {@code rnn_linear}, {@code lstm}, {@code attention_mlp}). */
    public String id() {
        return id;
    }

    /** Native code ({@code NTK4J_CELL_*}). */
    public int code() {
        return code;
    }

    /** Number of stacked gate blocks in the weights (3 for GRU, 4 for LSTM, else 1). */
    public int gates() {
        return gates;
    }

    /** Blocks of H in one step of the state: 2 for lstm ([h; c]), else 1. */
    public int stateBlocks() {
        return this == LSTM ? 2 : 1;
    }

    /** False for the feed-forward {@link #ATTENTION_MLP} block: no state carried from step to step. */
    public boolean recurrent() {
        return this != ATTENTION_MLP;
    }

    /** Whether the cell has a time step dt (the leaky cells, KPFlow's BasicRNNCell and its linear variant). */
    public boolean usesDt() {
        return this == RNN_LEAKY || this == RNN_LINEAR;
    }

    /** Whether the cell can have biases (the leaky cells have none). */
    public boolean allowsBias() {
        return !usesDt() && recurrent();
    }

    /** Parses a model.json cell name. */
    public static CellKind fromId(String id) {
        for (CellKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        throw new InvalidInputException("unknown cell \"" + id + "\" (supported: "
                + Arrays.stream(values()).map(CellKind::id).collect(Collectors.joining(", ")) + ")");
    }
}
