package io.ntk4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A recurrent cell with its weights, in PyTorch's names and layouts (DESIGN.md, "Conventions"):
 * {@code weight_ih [G*H, N]}, {@code weight_hh [G*H, H]} and, when the model has biases,
 * {@code bias_ih [G*H]}, {@code bias_hh [G*H]} (G = 3 for GRU, else 1). Immutable; weights are
 * small and kept on the heap, copied to native memory when a {@link Session} is opened.
 *
 * {@snippet :
 * Model model = ModelFiles.load(Path.of("tests/golden/gru"));   // io.ntk4j.io: model.json + weight .npy files
 * System.out.println(model);                                  // Model[gru, H=5, N=2, 135 params]
 * }
 */
public final class Model {
    private final CellKind cell;
    private final int hiddenSize;
    private final int inputSize;
    private final double dt;
    private final boolean bias;
    private final Map<String, double[]> parameters;
    private final List<String> assumptions;
    private final AttentionMlpConfig attention; // null for recurrent cells

    private Model(
            CellKind cell,
            int hiddenSize,
            int inputSize,
            double dt,
            boolean bias,
            Map<String, double[]> parameters,
            List<String> assumptions) {
        this(cell, hiddenSize, inputSize, dt, bias, parameters, assumptions, null);
    }

    private Model(
            CellKind cell,
            int hiddenSize,
            int inputSize,
            double dt,
            boolean bias,
            Map<String, double[]> parameters,
            List<String> assumptions,
            AttentionMlpConfig attention) {
        this.attention = attention;
        this.cell = cell;
        this.hiddenSize = hiddenSize;
        this.inputSize = inputSize;
        this.dt = dt;
        this.bias = bias;
        this.parameters = parameters;
        this.assumptions = assumptions;
    }

    /**
     * Builds a model, checking every shape and value.
     *
     * @param dt time step of {@code rnn_leaky}, in (0, 1]; ignored (use 1) for other cells
     * @param parameters PyTorch-named flat row-major arrays: weight_ih, weight_hh, and bias_ih,
     *     bias_hh exactly when {@code bias}
     */
    public static Model of(
            CellKind cell, int hiddenSize, int inputSize, double dt, boolean bias, Map<String, double[]> parameters) {
        Objects.requireNonNull(cell, "cell");
        Objects.requireNonNull(parameters, "parameters");
        if (!cell.recurrent()) {
            throw new InvalidInputException("attention_mlp is not a recurrent cell: build it with Model.attentionMlp");
        }
        if (hiddenSize <= 0) {
            throw new InvalidInputException("hidden_size must be > 0, got " + hiddenSize);
        }
        if (inputSize <= 0) {
            throw new InvalidInputException("input_size must be > 0, got " + inputSize);
        }
        if (cell.usesDt() && !(dt > 0 && dt <= 1)) {
            // h' = (1 - dt) h + dt (...): beyond 1 the old state enters with a negative weight.
            throw new InvalidInputException(cell.id() + " needs dt in (0, 1] (h' = (1 - dt) h + dt (...)), got " + dt);
        }
        if (!cell.allowsBias() && bias) {
            throw new InvalidInputException(cell.id() + " has no bias (bias must be false)");
        }
        Map<String, double[]> copy = new LinkedHashMap<>();
        List<String> names = parameterNames(bias);
        for (String name : names) {
            double[] values = parameters.get(name);
            if (values == null) {
                throw new InvalidInputException(cell.id() + " model is missing parameter " + name);
            }
            long[] shape = parameterShape(cell, hiddenSize, inputSize, name);
            if (values.length != Tensor.elementCount(shape)) {
                throw new InvalidInputException(
                        "parameter " + name + " has " + values.length + " values but " + cell.id()
                                + " with H=" + hiddenSize + ", N=" + inputSize + " needs shape "
                                + java.util.Arrays.toString(shape));
            }
            requireFinite(name, values);
            copy.put(name, values.clone());
        }
        for (String name : parameters.keySet()) {
            if (!copy.containsKey(name)) {
                throw new InvalidInputException("unexpected parameter " + name + " for " + cell.id()
                        + (bias ? "" : " without bias") + " (expected " + names + ")");
            }
        }
        return new Model(
                cell,
                hiddenSize,
                inputSize,
                cell.usesDt() ? dt : 1.0,
                bias,
                Collections.unmodifiableMap(copy),
                List.of());
    }

    /**
     * The self-attention block {@code attention_mlp} with the given sizes and parameters (PyTorch
     * names and shapes, {@link AttentionMlpConfig#parameterNames()}), checked like {@link #of}.
     * {@link #hiddenSize()} is d_model, {@link #inputSize()} d_input and {@link #stateWidth()} the
     * width of one token's stacked activations.
     */
    public static Model attentionMlp(AttentionMlpConfig config, Map<String, double[]> parameters) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(parameters, "parameters");
        Map<String, double[]> copy = new LinkedHashMap<>();
        for (String name : config.parameterNames()) {
            double[] values = parameters.get(name);
            if (values == null) {
                throw new InvalidInputException("attention_mlp model is missing parameter " + name);
            }
            long[] shape = config.parameterShape(name);
            if (values.length != Tensor.elementCount(shape)) {
                throw new InvalidInputException("parameter " + name + " has " + values.length
                        + " values but attention_mlp needs shape " + java.util.Arrays.toString(shape));
            }
            requireFinite(name, values);
            copy.put(name, values.clone());
        }
        for (String name : parameters.keySet()) {
            if (!copy.containsKey(name)) {
                throw new InvalidInputException("unexpected parameter " + name + " for attention_mlp (expected "
                        + config.parameterNames() + ")");
            }
        }
        return new Model(
                CellKind.ATTENTION_MLP,
                config.dModel(),
                config.dInput(),
                1.0,
                false,
                Collections.unmodifiableMap(copy),
                List.of(),
                config);
    }

    /** The attention block's sizes, or null for a recurrent cell. */
    public AttentionMlpConfig attentionConfig() {
        return attention;
    }

    private static void requireFinite(String name, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new InvalidInputException(
                        "parameter " + name + " contains a non-finite value (" + values[i] + ") at flat index " + i);
            }
        }
    }

    /**
     * What was assumed when this model was loaded because its file did not say (e.g. "dt is not
     * stored in a state dict; using dt = 1", "float32 weights upcast to float64"); empty for a model
     * whose every property was given. Carried along by {@link #withGain} and training, so that an
     * analysis can report them (the CLI prints them as notes).
     */
    public List<String> assumptions() {
        return assumptions;
    }

    /** This model with {@code more} appended to its {@link #assumptions()}. */
    public Model withAssumptions(List<String> more) {
        List<String> all = new java.util.ArrayList<>(assumptions);
        all.addAll(more);
        return new Model(cell, hiddenSize, inputSize, dt, bias, parameters, List.copyOf(all), attention);
    }

    /** A model of the same cell and shape with other parameter values (checked like {@link #of}). */
    public Model withParameters(Map<String, double[]> values) {
        if (attention != null) {
            return attentionMlp(attention, values).withAssumptions(assumptions);
        }
        Model m = of(cell, hiddenSize, inputSize, dt, bias, values);
        return new Model(m.cell, m.hiddenSize, m.inputSize, m.dt, m.bias, m.parameters, assumptions);
    }

    /** Parameter names in PyTorch {@code named_parameters()} order. */
    public static List<String> parameterNames(boolean bias) {
        return bias ? List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh") : List.of("weight_ih", "weight_hh");
    }

    /** PyTorch shape of a parameter. */
    public static long[] parameterShape(CellKind cell, int hiddenSize, int inputSize, String name) {
        long rows = (long) cell.gates() * hiddenSize;
        return switch (name) {
            case "weight_ih" -> new long[] {rows, inputSize};
            case "weight_hh" -> new long[] {rows, hiddenSize};
            case "bias_ih", "bias_hh" -> new long[] {rows};
            default -> throw new InvalidInputException("unknown parameter " + name);
        };
    }

    public CellKind cell() {
        return cell;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    /**
     * Width of one step of the state: H, 2H for lstm, whose state is [h; c], and for attention_mlp
     * the width of one token's stacked activations ({@link AttentionMlpConfig#stateWidth()}).
     */
    public int stateWidth() {
        return attention != null ? attention.stateWidth() : cell.stateBlocks() * hiddenSize;
    }

    public int inputSize() {
        return inputSize;
    }

    /** Time step (rnn_leaky); 1 for the other cells. */
    public double dt() {
        return dt;
    }

    public boolean bias() {
        return bias;
    }

    /** Names of this model's parameters, in PyTorch order. */
    public List<String> parameterNames() {
        return attention != null ? attention.parameterNames() : parameterNames(bias);
    }

    /**
     * This model with W_hh scaled by {@code g} (everything else shared): the gain of the
     * weight-scale sweeps and of {@link io.ntk4j.dynamics.Bifurcations#sweepGain}.
     */
    public Model withGain(double g) {
        if (attention != null) {
            throw new InvalidInputException("a gain scales the recurrent weight W_hh: attention_mlp has none");
        }
        if (!Double.isFinite(g)) {
            throw new InvalidInputException("gain values must be finite, got " + g);
        }
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : parameterNames()) {
            double[] v = parameter(name);
            if (name.equals("weight_hh")) {
                for (int j = 0; j < v.length; j++) {
                    v[j] *= g;
                }
            }
            p.put(name, v);
        }
        return withParameters(p);
    }

    /** The length of one parameter (e.g. H * N for weight_ih of an RNN). */
    public int parameterSize(String name) {
        double[] v = parameters.get(name);
        if (v == null) {
            throw new InvalidInputException("model has no parameter " + name + " (has " + parameters.keySet() + ")");
        }
        return v.length;
    }

    /** Where one parameter starts in a parameter-space vector ({@link #parameterVector()} order). */
    public int parameterOffset(String name) {
        int off = 0;
        for (Map.Entry<String, double[]> e : parameters.entrySet()) {
            if (e.getKey().equals(name)) {
                return off;
            }
            off += e.getValue().length;
        }
        throw new InvalidInputException("model has no parameter " + name + " (has " + parameters.keySet() + ")");
    }

    /** A copy of one parameter, flat row-major. */
    public double[] parameter(String name) {
        double[] v = parameters.get(name);
        if (v == null) {
            throw new InvalidInputException("model has no parameter " + name + " (has " + parameters.keySet() + ")");
        }
        return v.clone();
    }

    /** Total parameter count (length of a parameter-space vector). */
    public long numParams() {
        long n = 0;
        for (double[] v : parameters.values()) {
            n += v.length;
        }
        return n;
    }

    /** All parameters concatenated in PyTorch order (the layout of parameter-space vectors). */
    public double[] parameterVector() {
        double[] out = new double[Math.toIntExact(numParams())];
        int off = 0;
        for (double[] v : parameters.values()) {
            System.arraycopy(v, 0, out, off, v.length);
            off += v.length;
        }
        return out;
    }

    /** PyTorch shape of one of this model's parameters. */
    public long[] parameterShape(String name) {
        return attention != null ? attention.parameterShape(name) : parameterShape(cell, hiddenSize, inputSize, name);
    }

    @Override
    public String toString() {
        if (attention != null) {
            return "Model[attention_mlp, d_input=" + inputSize + ", d_model=" + hiddenSize + ", heads="
                    + attention.heads() + ", mlp " + attention.mlpLayers() + " layers"
                    + (attention.mlpLayers() > 1 ? " of " + attention.mlpHidden() : "") + ", d_output="
                    + attention.dOutput() + (attention.positional() ? ", max_seq_len=" + attention.maxSeqLen() : "")
                    + (attention.causal() ? ", causal" : "") + ", " + numParams() + " params]";
        }
        return "Model[" + cell.id() + ", H=" + hiddenSize + ", N=" + inputSize + (cell.usesDt() ? ", dt=" + dt : "")
                + (bias ? ", bias" : "") + ", " + numParams() + " params]";
    }
}
