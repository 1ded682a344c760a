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
