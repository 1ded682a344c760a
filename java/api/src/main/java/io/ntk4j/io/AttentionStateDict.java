package io.ntk4j.io;

import io.ntk4j.Model;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The attention_mlp layout of {@link PyTorchModel}: kpflow's {@code SingleBlockAttnMLP} names
 * ({@code pos_embedding}, {@code input_proj.*}, {@code attn.*}, {@code mlp.*}).
 */
final class AttentionStateDict {
    private AttentionStateDict() {}

    /** What a file written by {@link #write} says beyond its weights (with {@link PyTorchModel#META_CELL}). */
    static final String META_HEADS = "ntk4j.heads", META_CAUSAL = "ntk4j.causal";

    /**
     * A float64 state dict of the block in kpflow's names, with the head count and the mask in
     * {@code __metadata__} so that {@link PyTorchModel#load} needs no options for it.
     */
    static void write(Path file, Model model, io.ntk4j.Readout readout) {
        if (readout != null) {
            throw new io.ntk4j.InvalidInputException(
                    "attention_mlp has its output layer inside (mlp.final_linear): no separate readout");
        }
        io.ntk4j.AttentionMlpConfig cfg = model.attentionConfig();
        Map<String, StateDict.Array> arrays = new LinkedHashMap<>();
        for (String name : cfg.parameterNames()) {
            arrays.put(name, new StateDict.Array(cfg.parameterShape(name), model.parameter(name), "float64"));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(PyTorchModel.META_CELL, io.ntk4j.CellKind.ATTENTION_MLP.id());
        meta.put(META_HEADS, Integer.toString(cfg.heads()));
        meta.put(META_CAUSAL, Boolean.toString(cfg.causal()));
        meta.put(
                "ntk4j.version",
                String.valueOf(AttentionStateDict.class.getPackage().getImplementationVersion()));
        StateDict.writeSafetensors(file, arrays, meta);
    }

    /**
     * The options completed by a file's metadata (a file written by {@link #write}): its head count
     * and mask, refused when the options say otherwise rather than silently preferred.
     */
    static PyTorchModel.Options withMetadata(Path file, Map<String, String> meta, PyTorchModel.Options options) {
        int heads;
        try {
            heads = Integer.parseInt(meta.getOrDefault(META_HEADS, ""));
        } catch (NumberFormatException e) {
            throw new ModelFormatException(file + ": " + META_HEADS + " is not an integer: " + meta.get(META_HEADS));
        }
        String c = meta.getOrDefault(META_CAUSAL, "");
        if (!c.equals("true") && !c.equals("false")) {
            throw new ModelFormatException(file + ": " + META_CAUSAL + " must be true or false, got " + c);
        }
        boolean causal = c.equals("true");
        if ((options.heads() != 0 && options.heads() != heads) || (options.causal() && !causal)) {
            throw new ModelFormatException(file + ": the file says heads " + heads + (causal ? ", causal" : "")
                    + "; the options say heads " + options.heads() + (options.causal() ? ", causal" : ""));
        }
        return options.withAttention(heads, causal);
    }

    static boolean isAttentionName(String k) {
        return k.equals("pos_embedding")
                || k.startsWith("input_proj.")
                || k.startsWith("attn.")
                || k.startsWith("mlp.");
    }

    /**
     * kpflow's {@code SingleBlockAttnMLP} state dict (without Fourier features): the sizes follow
     * from the shapes, the head count and the mask come from the options.
     */
    static PyTorchModel.Loaded load(
            Path file, Map<String, StateDict.Array> a, PyTorchModel.Options options, List<String> notes, String found) {
        if (options.cell() != null || !Double.isNaN(options.dt()) || options.nonlinearity() != null) {
            throw new ModelFormatException(file + ": an attention_mlp state dict (found " + found
                    + "): --cell, --dt and --nonlinearity apply to recurrent cells only");
        }
        if (options.heads() <= 0) {
            throw new ModelFormatException(file + ": an attention_mlp state dict does not store its head count, and "
                    + "the operators depend on it: say it with --heads n (Java: Options.withAttention)");
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, StateDict.Array> e : a.entrySet()) {
            if (!isAttentionName(e.getKey())) {
                throw new ModelFormatException(file + ": unknown parameter \"" + e.getKey()
                        + "\" beside an attention_mlp block (found " + found + "; expected kpflow's SingleBlockAttnMLP"
                        + " names: pos_embedding, input_proj.*, attn.{q,k,v,o}_proj.weight, mlp.hidden_linears.<i>"
                        + ".weight, mlp.final_linear.weight; Fourier features are not supported)");
            }
            shapes.put(e.getKey(), e.getValue().shape());
        }
        io.ntk4j.AttentionMlpConfig cfg;
        try {
            cfg = io.ntk4j.AttentionMlpConfig.fromShapes(shapes, options.heads(), options.causal());
        } catch (io.ntk4j.InvalidInputException e) {
            throw new ModelFormatException(file + ": " + e.getMessage());
        }
        Map<String, double[]> params = new LinkedHashMap<>();
        for (String name : cfg.parameterNames()) {
            params.put(name, a.get(name).values());
        }
        Model model;
        try {
            model = Model.attentionMlp(cfg, params);
        } catch (io.ntk4j.InvalidInputException e) {
            throw new ModelFormatException(file + ": " + e.getMessage());
        }
        return new PyTorchModel.Loaded(model.withAssumptions(notes), null, List.copyOf(notes));
    }
}
