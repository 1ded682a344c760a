package io.ntk4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sizes of the self-attention block {@code attention_mlp} (the Global-NTK paper's model,
 * kpflow's {@code SingleBlockAttnMLP} without Fourier features; DESIGN.md, "Feed-forward
 * blocks"): per token {@code h0 = W_in x + b_in (+ pos[t])}, bias-free {@code q, k, v = W h0},
 * {@code a = softmax(q k^T / sqrt(d_model / heads)) v} per head (keys {@code t' <= t} when
 * {@code causal}), {@code o = W_o a}, then {@code mlpLayers} bias-free linear layers with the exact
 * GELU before each but the first: {@code m_1 = W_1 gelu(o)}, ..., {@code y = W_f m_{L-1}}
 * ({@code y = W_f o} when {@code mlpLayers = 1}).
 *
 * <p>The state of a token, what P, K and NTK_S act on, is the stack
 * {@code [h0, q, k, v, a, o, m_1 .. m_{L-1}, y]} of width {@link #stateWidth()}.
 *
 * {@snippet :
 * var cfg = new AttentionMlpConfig(16, 64, 4, 128, 3, 1, 256, true, false);  // kpflow's defaults
 * long s = cfg.stateWidth();   // 6*64 + 2*128 + 1 = 641
 * }
 *
 * @param maxSeqLen length of the positional table (0 when {@code positional} is false)
 */
public record AttentionMlpConfig(
        int dInput,
        int dModel,
        int heads,
        int mlpHidden,
        int mlpLayers,
        int dOutput,
        int maxSeqLen,
        boolean positional,
        boolean causal) {

    /** Checks every size; {@code mlpHidden} is ignored (0) with one layer, {@code maxSeqLen} without a table. */
    public AttentionMlpConfig {
        positive(dInput, "d_input");
        positive(dModel, "d_model");
        positive(heads, "heads");
        positive(mlpLayers, "mlp_layers");
        positive(dOutput, "d_output");
        if (mlpLayers > 1) {
            positive(mlpHidden, "mlp_hidden");
        } else {
            mlpHidden = 0;
        }
        if (positional) {
            positive(maxSeqLen, "max_seq_len (the positional table's length)");
        } else {
            maxSeqLen = 0;
        }
        if (dModel % heads != 0) {
            throw new InvalidInputException("attention_mlp: d_model = " + dModel + " is not divisible by heads = "
                    + heads + " (each head takes d_model / heads columns)");
        }
    }

    private static void positive(int v, String what) {
        if (v <= 0) {
            throw new InvalidInputException("attention_mlp: " + what + " must be > 0, got " + v);
        }
    }

    /** Width of one head, d_model / heads. */
    public int dHead() {
        return dModel / heads;
    }

    /** Width S of one token's state, 6 d_model + (L - 1) mlp_hidden + d_output. */
    public int stateWidth() {
        return 6 * dModel + (mlpLayers - 1) * mlpHidden + dOutput;
    }

    /** The state's blocks in order with their widths: h0, q, k, v, a, o, m_1 .. m_{L-1}, y. */
    public Map<String, Integer> stateBlocks() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String name : List.of("h0", "q", "k", "v", "a", "o")) {
            m.put(name, dModel);
        }
        for (int i = 1; i < mlpLayers; i++) {
            m.put("m_" + i, mlpHidden);
        }
        m.put("y", dOutput);
        return Collections.unmodifiableMap(m);
    }

    /** Offset of the output block y in a token's state (its last d_output entries). */
    public int outputOffset() {
        return stateWidth() - dOutput;
    }

    /** Parameter names in PyTorch {@code named_parameters()} order (the module's own pos_embedding first). */
    public List<String> parameterNames() {
        List<String> names = new ArrayList<>();
        if (positional) {
            names.add("pos_embedding");
        }
        names.add("input_proj.weight");
        names.add("input_proj.bias");
        for (String p : List.of("q", "k", "v", "o")) {
            names.add("attn." + p + "_proj.weight");
        }
        for (int i = 0; i + 1 < mlpLayers; i++) {
            names.add("mlp.hidden_linears." + i + ".weight");
        }
        names.add("mlp.final_linear.weight");
        return List.copyOf(names);
    }

    /** PyTorch shape of one parameter. */
    public long[] parameterShape(String name) {
        if (name.equals("pos_embedding") && positional) {
            return new long[] {1, maxSeqLen, dModel};
        }
        if (name.equals("input_proj.weight")) {
            return new long[] {dModel, dInput};
        }
        if (name.equals("input_proj.bias")) {
            return new long[] {dModel};
        }
        if (name.matches("attn\\.[qkvo]_proj\\.weight")) {
            return new long[] {dModel, dModel};
        }
        if (name.equals("mlp.final_linear.weight")) {
            return new long[] {dOutput, mlpLayers > 1 ? mlpHidden : dModel};
        }
        if (name.startsWith("mlp.hidden_linears.") && name.endsWith(".weight")) {
            String index = name.substring("mlp.hidden_linears.".length(), name.length() - ".weight".length());
            if (index.matches("\\d{1,9}") && Integer.parseInt(index) + 1 < mlpLayers) {
                return new long[] {mlpHidden, index.equals("0") ? dModel : mlpHidden};
            }
        }
        throw new InvalidInputException(
                "attention_mlp has no parameter " + name + " (it has " + parameterNames() + ")");
    }

    /**
     * The configuration a state dict's shapes imply (kpflow's module names), with the head count
     * and the mask, which the weights cannot tell. Refuses a dict that is not exactly that block.
     */
    public static AttentionMlpConfig fromShapes(Map<String, long[]> shapes, int heads, boolean causal) {
        long[] win = require(shapes, "input_proj.weight", 2);
        int dModel = Math.toIntExact(win[0]), dInput = Math.toIntExact(win[1]);
        int layers = 1;
        while (shapes.containsKey("mlp.hidden_linears." + (layers - 1) + ".weight")) {
            layers++;
        }
        int hidden = layers > 1 ? Math.toIntExact(require(shapes, "mlp.hidden_linears.0.weight", 2)[0]) : 0;
        int dOut = Math.toIntExact(require(shapes, "mlp.final_linear.weight", 2)[0]);
        boolean positional = shapes.containsKey("pos_embedding");
        int maxSeq = positional ? Math.toIntExact(require(shapes, "pos_embedding", 3)[1]) : 0;
        AttentionMlpConfig cfg =
                new AttentionMlpConfig(dInput, dModel, heads, hidden, layers, dOut, maxSeq, positional, causal);
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long[] want = cfg.parameterShape(e.getKey());
            if (!java.util.Arrays.equals(want, e.getValue())) {
                throw new InvalidInputException("attention_mlp parameter " + e.getKey() + " has shape "
                        + java.util.Arrays.toString(e.getValue()) + " but the block its other weights describe ("
                        + cfg + ") needs " + java.util.Arrays.toString(want));
            }
        }
        for (String name : cfg.parameterNames()) {
            if (!shapes.containsKey(name)) {
                throw new InvalidInputException("attention_mlp state dict is missing " + name);
            }
        }
        return cfg;
    }

    private static long[] require(Map<String, long[]> shapes, String name, int rank) {
        long[] s = shapes.get(name);
        if (s == null) {
            throw new InvalidInputException("attention_mlp state dict is missing " + name);
        }
        if (s.length != rank) {
            throw new InvalidInputException("attention_mlp parameter " + name + " must have " + rank
                    + " dimensions, got " + java.util.Arrays.toString(s));
        }
        return s;
    }
}
