package io.ntk4j.io;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Loads a model saved by PyTorch (a {@code .safetensors} or {@code .npz} state dict) into ntk4j's
 * {@link Model}, mapping PyTorch's names:
 * <ul>
 *   <li>{@code torch.nn.RNNCell} / {@code GRUCell}: {@code weight_ih, weight_hh, bias_ih, bias_hh};
 *   <li>single-layer {@code torch.nn.RNN} / {@code GRU} (either {@code batch_first}): the same names
 *       ending in {@code _l0};
 *   <li>KPFlow's {@code Model} checkpoints: a prefix {@code rnn.} ({@code rnn.weight_hh_l0}, ...),
 *       the leaky {@code BasicRNN}'s {@code rnn.cell.weight_hh} / {@code rnn.cell.weight_ih} (with
 *       their {@code rnn.*_l0} aliases, which must hold the same values), and the readout
 *       {@code Wout.weight} [O, H] / {@code Wout.bias} [O].
 * </ul>
 * The cell comes from the shapes where they decide it: W_hh with 3H rows is a GRU, 4H an LSTM; H rows with
 * biases is PyTorch's tanh RNN ({@code rnn_elman}); KPFlow's {@code rnn.cell.*} names are its leaky
 * cell ({@code rnn_leaky}, whose dt a state dict does not store: 1 unless given). An RNN without
 * biases could be either tanh cell and needs {@link Options#cell()}. Multi-layer
 * ({@code _l1}...), bidirectional ({@code _reverse}) or unknown layouts are refused
 * with the names found, never analysed wrongly.
 *
 * <p>The nonlinearity of an RNN cannot be told from its weights ({@code torch.nn.RNN} takes
 * {@code nonlinearity="tanh"} or {@code "relu"}, KPFlow's {@code BasicRNN} tanh or
 * {@code linear=True}), and the operators differ: an RNN state dict is refused unless the options
 * say it ({@link Options#withNonlinearity}, {@code --nonlinearity tanh}) or name the cell
 * ({@code rnn_elman} and {@code rnn_leaky} are tanh cells). What is assumed instead (dt = 1 for a
 * leaky cell, float32 upcast to float64) is carried on the model ({@link Model#assumptions()}).
 *
 * {@snippet :
 * PyTorchModel.Loaded m = PyTorchModel.load(Path.of("rnn.safetensors"),
 *     PyTorchModel.Options.inferred().withNonlinearity(PyTorchModel.Nonlinearity.TANH));
 * m.model().assumptions().forEach(System.err::println);   // e.g. "float32 weights upcast to float64"
 * }
 */
public final class PyTorchModel {
    private PyTorchModel() {}

    /** The nonlinearity of an RNN state dict, which its weights do not tell. */
    public enum Nonlinearity {
        TANH("tanh"),
        RELU("relu"),
        LINEAR("linear");

        private final String id;

        Nonlinearity(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** {@code tanh}, {@code relu} or {@code linear}. */
        public static Nonlinearity fromId(String id) {
            for (Nonlinearity n : values()) {
                if (n.id.equals(id)) {
                    return n;
                }
            }
            throw new io.ntk4j.InvalidInputException("unknown nonlinearity \"" + id + "\" (tanh, relu, linear)");
        }
    }

    /**
     * What the file does not say: the cell ({@code null} to infer it), dt for a leaky cell
     * ({@code NaN}: 1, recorded as an assumption) and an RNN's nonlinearity ({@code null}: refused
     * for an RNN unless {@code cell} names it).
     */
    public record Options(CellKind cell, double dt, Nonlinearity nonlinearity, int heads, boolean causal) {
        public Options(CellKind cell, double dt, Nonlinearity nonlinearity) {
            this(cell, dt, nonlinearity, 0, false);
        }

        public Options(CellKind cell, double dt) {
            this(cell, dt, null);
        }

        public static Options inferred() {
            return new Options(null, Double.NaN, null);
        }

        public Options withNonlinearity(Nonlinearity n) {
            return new Options(cell, dt, n, heads, causal);
        }

        /**
         * The attention block's head count (its weights cannot tell it; 0: not given, refused for an
         * attention state dict) and whether its attention is causal (default: no mask).
         */
        public Options withAttention(int heads, boolean causal) {
            return new Options(cell, dt, nonlinearity, heads, causal);
        }
    }

    /**
     * The model, its readout if the file had one (else null), and what was assumed (the same list as
     * {@code model().assumptions()}).
     */
    public record Loaded(Model model, Readout readout, List<String> notes) {}

    /** Whether {@code path} names a state-dict file this class reads (rather than a model directory). */
    public static boolean isStateDictFile(Path path) {
        String n =
                path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return !Files.isDirectory(path) && (n.endsWith(".safetensors") || n.endsWith(".npz"));
    }

    /** Whether {@code path} is a PyTorch pickle ({@code torch.save}), which ntk4j does not read. */
    public static boolean isPickleFile(Path path) {
        String n =
                path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return !Files.isDirectory(path) && (n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt"));
    }

    /** The refusal of a pickle, with the one-line export that makes it readable. */
    public static ModelFormatException pickleRefusal(Path path) {
        return new ModelFormatException(path + ": a PyTorch pickle (.pt): export it as .safetensors or .npz, e.g. "
                + "safetensors.torch.save_file(model.state_dict(), \"model.safetensors\") or "
                + "numpy.savez(\"model.npz\", **{k: v.detach().numpy() for k, v in model.state_dict().items()}) "
                + "(ntk4j does not unpickle: loading a pickle runs code from the file)");
    }

    /** Metadata keys of the state dicts ntk4j writes ({@link #write}): what the weights do not say. */
    static final String META_CELL = "ntk4j.cell", META_DT = "ntk4j.dt";

    /**
     * Writes a model (and its readout, if any) as a float64 {@code .safetensors} state dict in
     * PyTorch's names: {@code torch.nn.RNNCell} / {@code GRUCell}'s {@code weight_ih, weight_hh,
     * bias_ih, bias_hh} for rnn_elman and gru, KPFlow's {@code BasicRNN} names
     * ({@code rnn.cell.weight_ih, rnn.cell.weight_hh}) for rnn_leaky, {@code Wout.weight, Wout.bias}
     * for the readout; {@code torch.load_state_dict} takes the cell's part as it is
     * ({@code safetensors.torch.load_file}). The cell and dt go into {@code __metadata__}, so that
     * {@link #load} needs no options for files written here. Every value round-trips bit-exactly.
     */
    public static void write(Path file, Model model, Readout readout) {
        if (model.attentionConfig() != null) {
            AttentionStateDict.write(file, model, readout);
            return;
        }
        Map<String, StateDict.Array> arrays = new LinkedHashMap<>();
        String prefix = model.cell().usesDt() ? "rnn.cell." : "";
        for (String name : model.parameterNames()) {
            arrays.put(
                    prefix + name,
                    new StateDict.Array(
                            Model.parameterShape(model.cell(), model.hiddenSize(), model.inputSize(), name),
                            model.parameter(name),
                            "float64"));
        }
        if (readout != null) {
            arrays.put(
                    "Wout.weight",
                    new StateDict.Array(
                            new long[] {readout.outputSize(), readout.hiddenSize()}, readout.weight(), "float64"));
            arrays.put("Wout.bias", new StateDict.Array(new long[] {readout.outputSize()}, readout.bias(), "float64"));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(META_CELL, model.cell().id());
        if (model.cell().usesDt()) {
            meta.put(META_DT, Double.toString(model.dt()));
        }
        meta.put("ntk4j.version", String.valueOf(PyTorchModel.class.getPackage().getImplementationVersion()));
        StateDict.writeSafetensors(file, arrays, meta);
    }

    public static Loaded load(Path file, Options options) {
        if (isPickleFile(file)) {
            throw pickleRefusal(file);
        }
        StateDict sd = StateDict.read(file);
        // A file written by ntk4j says its cell (hence the nonlinearity) and dt; an option that
        // contradicts it is refused rather than silently preferred.
        String metaCell = sd.metadata().get(META_CELL), metaDt = sd.metadata().get(META_DT);
        if (CellKind.ATTENTION_MLP.id().equals(metaCell)) {
            options = AttentionStateDict.withMetadata(file, sd.metadata(), options);
        } else if (metaCell != null) {
            CellKind said = CellKind.fromId(metaCell);
            if (options.cell() != null && options.cell() != said) {
                throw new ModelFormatException(file + ": the file says cell " + said.id() + " (" + META_CELL
                        + "), the options say " + options.cell().id());
            }
            double dt = options.dt();
            if (metaDt != null) {
                double fileDt;
                try {
                    fileDt = Double.parseDouble(metaDt);
                } catch (NumberFormatException e) {
                    throw new ModelFormatException(file + ": " + META_DT + " is not a number: " + metaDt);
                }
                if (!Double.isNaN(dt) && dt != fileDt) {
                    throw new ModelFormatException(
                            file + ": the file says dt = " + fileDt + ", the options say dt = " + dt);
                }
                dt = fileDt;
            }
            options = new Options(said, dt, options.nonlinearity());
        }
        List<String> notes = new ArrayList<>();
        if (sd.upcast()) {
            notes.add(file + ": float32 weights upcast to float64");
        }
        Map<String, StateDict.Array> a = sd.arrays();
        String found = String.join(", ", new TreeSet<>(a.keySet()));
        if (a.keySet().stream().anyMatch(AttentionStateDict::isAttentionName)) {
            return AttentionStateDict.load(file, a, options, notes, found);
        }
        if (options.heads() != 0 || options.causal()) {
            throw new ModelFormatException(file + ": --heads and --causal apply to attention_mlp state dicts "
                    + "(input_proj.weight, attn.q_proj.weight, ...); this file has " + found);
        }
        String supported = "supported: torch.nn.RNNCell/GRUCell (weight_ih, weight_hh, bias_ih, bias_hh), single-layer "
                + "torch.nn.RNN/GRU (..._l0), KPFlow Model checkpoints (rnn.weight_hh_l0, rnn.cell.weight_hh, Wout.weight)";
        for (String k : a.keySet()) {
            if (k.matches(".*_l[1-9][0-9]*(_reverse)?$")) {
                throw new ModelFormatException(file + ": a multi-layer network (found " + found
                        + "); ntk4j analyses one " + "recurrent layer: export a single layer (" + supported + ")");
            }
            if (k.endsWith("_reverse")) {
                throw new ModelFormatException(file + ": a bidirectional network (found " + found + "); ntk4j analyses "
                        + "a forward recurrence only (" + supported + ")");
            }
        }
        // Canonical names: strip the layout's prefix and the _l0 suffix; aliases must agree.
        Map<String, StateDict.Array> cell = new LinkedHashMap<>();
        Map<String, StateDict.Array> readout = new LinkedHashMap<>();
        boolean basicRnn = false;
        for (Map.Entry<String, StateDict.Array> e : a.entrySet()) {
            String k = e.getKey();
            if (k.equals("Wout.weight") || k.equals("Wout.bias")) {
                readout.put(k, e.getValue());
                continue;
            }
            String c = k;
            if (c.startsWith("rnn.cell.")) {
                c = c.substring("rnn.cell.".length());
                basicRnn = true;
            } else if (c.startsWith("rnn.")) {
                c = c.substring("rnn.".length());
            }
            if (c.endsWith("_l0")) {
                c = c.substring(0, c.length() - 3);
            }
            if (!List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh").contains(c)) {
                throw new ModelFormatException(
                        file + ": unknown parameter \"" + k + "\" (found " + found + "; " + supported + ")");
            }
            StateDict.Array prev = cell.put(c, e.getValue());
            if (prev != null
                    && (!Arrays.equals(prev.shape(), e.getValue().shape())
                            || !Arrays.equals(prev.values(), e.getValue().values()))) {
                throw new ModelFormatException(
                        file + ": \"" + k + "\" and another name for " + c + " hold different values");
            }
        }
        StateDict.Array whh = cell.get("weight_hh"), wih = cell.get("weight_ih");
        if (whh == null || wih == null) {
            throw new ModelFormatException(
                    file + ": no recurrent weights (weight_hh, weight_ih) among " + found + " (" + supported + ")");
        }
        if (whh.shape().length != 2 || wih.shape().length != 2) {
            throw new ModelFormatException(file + ": weight_hh and weight_ih must be matrices, got "
                    + Arrays.toString(whh.shape()) + " and " + Arrays.toString(wih.shape()));
        }
        int h = Math.toIntExact(whh.shape()[1]);
        long rows = whh.shape()[0];
        int n = Math.toIntExact(wih.shape()[1]);
        boolean bias = cell.containsKey("bias_ih") || cell.containsKey("bias_hh");
        if (bias && !(cell.containsKey("bias_ih") && cell.containsKey("bias_hh"))) {
            throw new ModelFormatException(file + ": one of bias_ih, bias_hh without the other (found " + found + ")");
        }
        CellKind inferred;
        if (rows == 3L * h) {
            inferred = CellKind.GRU;
        } else if (rows == 4L * h) {
            inferred = CellKind.LSTM;
        } else if (rows == h) {
            inferred = basicRnn ? CellKind.RNN_LEAKY : bias ? CellKind.RNN_ELMAN : null;
        } else {
            throw new ModelFormatException(
                    file + ": weight_hh is " + rows + " x " + h + ", not H x H, 3H x H (GRU) or 4H x H (LSTM)");
        }
        CellKind kind = options.cell() != null ? options.cell() : inferred;
        if (kind == null && options.nonlinearity() == Nonlinearity.RELU) {
            kind = CellKind.RNN_RELU; // only torch.nn.RNN has a relu variant
        } else if (kind == null && options.nonlinearity() == Nonlinearity.LINEAR) {
            kind = CellKind.RNN_LINEAR; // only KPFlow's BasicRNN has a linear one
        }
        if (kind == null) {
            throw new ModelFormatException(file + ": a tanh RNN without biases could be rnn_elman (torch.nn.RNN) or "
                    + "rnn_leaky (KPFlow's BasicRNN): say which with the cell option (--cell)");
        }
        if (inferred != null && kind != inferred && !(inferred.gates() == 1 && kind.gates() == 1)) {
            throw new ModelFormatException(file + ": the weights are those of a " + inferred.id() + " but cell "
                    + kind.id() + " was asked for");
        }
        Nonlinearity nl = options.nonlinearity();
        if (kind.gates() > 1) {
            if (nl != null) {
                throw new ModelFormatException(file + ": the nonlinearity option applies to RNN cells; a"
                        + (kind == CellKind.GRU ? " GRU" : "n LSTM") + "'s are fixed");
            }
        } else if (nl == null && options.cell() == null) {
            String what = kind == CellKind.RNN_LEAKY
                    ? "KPFlow's BasicRNN (tanh, or the identity with linear=True)"
                    : "torch.nn.RNN / RNNCell (nonlinearity=\"tanh\" or \"relu\")";
            throw new ModelFormatException(
                    file + ": an RNN state dict does not store its nonlinearity, and the operators "
                            + "differ: this is " + what
                            + "; say which with --nonlinearity tanh|relu|linear (Java: Options.withNonlinearity), "
                            + "or name the cell with --cell (rnn_elman, rnn_relu, rnn_leaky, rnn_linear)");
        } else if (nl != null) {
            kind = withNonlinearity(file, kind, nl, options.cell() != null);
        }
        if (!kind.allowsBias() && bias) {
            throw new ModelFormatException(
                    file + ": " + kind.id() + " has no biases, but the file has bias_ih and bias_hh");
        }
        double dt = 1.0;
        if (kind.usesDt()) {
            if (Double.isNaN(options.dt())) {
                notes.add(file + ": dt is not stored in a state dict; using dt = 1 (pass --dt to change it)");
            } else {
                dt = options.dt();
            }
        }
        Map<String, double[]> params = new LinkedHashMap<>();
        for (String name : Model.parameterNames(bias)) {
            StateDict.Array arr = cell.get(name);
            long[] want = Model.parameterShape(kind, h, n, name);
            if (!Arrays.equals(arr.shape(), want)) {
                throw new ModelFormatException(file + ": " + name + " has shape " + Arrays.toString(arr.shape())
                        + ", a " + kind.id() + " with H=" + h + ", N=" + n + " needs " + Arrays.toString(want));
            }
            params.put(name, arr.values());
        }
        Model model = Model.of(kind, h, n, dt, bias, params);
        Readout ro = null;
        StateDict.Array w = readout.get("Wout.weight"), b = readout.get("Wout.bias");
        if (w != null) {
            if (w.shape().length != 2 || w.shape()[1] != h) {
                throw new ModelFormatException(
                        file + ": Wout.weight has shape " + Arrays.toString(w.shape()) + ", not [O, " + h + "]");
            }
            int o = Math.toIntExact(w.shape()[0]);
            double[] bias0 = new double[o];
            if (b != null) {
                if (b.shape().length != 1 || b.shape()[0] != o) {
                    throw new ModelFormatException(
                            file + ": Wout.bias has shape " + Arrays.toString(b.shape()) + ", not [" + o + "]");
                }
                bias0 = b.values();
            } else {
                notes.add(file + ": no Wout.bias; the readout bias is zero");
            }
            ro = new Readout(o, h, w.values(), bias0);
        } else if (b != null) {
            throw new ModelFormatException(file + ": Wout.bias without Wout.weight");
        }
        return new Loaded(model.withAssumptions(notes), ro, List.copyOf(notes));
    }

    /**
     * The cell of an RNN family (torch's Elman RNN: rnn_elman / rnn_relu; KPFlow's BasicRNN:
     * rnn_leaky / rnn_linear) with the nonlinearity {@code nl}; refused when the family has no such
     * variant or when it contradicts a cell named as well.
     */
    private static CellKind withNonlinearity(Path file, CellKind kind, Nonlinearity nl, boolean named) {
        boolean leaky = kind.usesDt();
        CellKind want = switch (nl) {
            case TANH -> leaky ? CellKind.RNN_LEAKY : CellKind.RNN_ELMAN;
            case RELU -> leaky ? null : CellKind.RNN_RELU;
            case LINEAR -> leaky ? CellKind.RNN_LINEAR : null;
        };
        if (want == null) {
            throw new ModelFormatException(file + ": " + (leaky ? "KPFlow's BasicRNN" : "torch.nn.RNN")
                    + " has no " + nl.id() + " variant, and analysing it as another cell would be wrong ("
                    + (leaky ? "tanh or linear" : "tanh or relu") + ")");
        }
        if (named && want != kind) {
            throw new ModelFormatException(file + ": cell " + kind.id() + " was asked for, but nonlinearity " + nl.id()
                    + " makes it " + want.id());
        }
        return want;
    }
}
