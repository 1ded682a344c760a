package io.ntk4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.AttentionMlpConfig;
import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model directory format: {@code model.json} with {@code cell} ({@code rnn_leaky},
 * {@code rnn_elman}, {@code gru}), {@code hidden_size}, {@code input_size}, {@code dt} (number;
 * null or absent for cells without one) and {@code bias} (boolean; absent means false for
 * rnn_leaky and true otherwise), {@code h0} absent or {@code "zeros"}, other keys ignored; plus
 * one float64 .npy per parameter, named by PyTorch: {@code weight_ih.npy}, {@code weight_hh.npy},
 * {@code bias_ih.npy}, {@code bias_hh.npy}. This is the layout of {@code tests/golden/*}.
 *
 * {@snippet :
 * Model m = ModelDirectory.read(Path.of("tests/golden/gru"));
 * ModelDirectory.write(Path.of("/tmp/gru-copy"), m);
 * }
 */
public final class ModelDirectory {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelDirectory() {}

    /** Reads and validates a model directory. */
    public static Model read(Path dir) {
        if (!Files.isDirectory(dir)) {
            if (PyTorchModel.isPickleFile(dir)) {
                throw PyTorchModel.pickleRefusal(dir);
            }
            if (Files.isRegularFile(dir)) {
                throw new ModelFormatException(
                        dir + ": a file, but neither a model directory (model.json + .npy weights) "
                                + "nor a PyTorch state dict (.safetensors, .npz)");
            }
            throw new ModelFormatException(dir + ": model directory does not exist or is not a directory");
        }
        Path json = dir.resolve("model.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(json));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(json + ": missing (a model directory needs model.json)"
                    + (hasNpy(dir)
                            ? "; the folder has .npy files: a write interrupted before its end (model.json is"
                                    + " written last) leaves it so: rerun the command that wrote it (train: --resume)"
                            : ""));
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(json + ": malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ModelFormatException(json + ": cannot read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(json + ": must hold a JSON object");
        }
        CellKind cell;
        try {
            cell = CellKind.fromId(text(json, root, "cell"));
        } catch (ModelFormatException e) {
            throw e;
        } catch (InvalidInputException e) {
            throw new ModelFormatException(json + ": " + e.getMessage());
        }
        if (!cell.recurrent()) {
            return readAttention(dir, json, root);
        }
        int hidden = positiveInt(json, root, "hidden_size");
        int input = positiveInt(json, root, "input_size");
        double dt = 1.0;
        JsonNode dtNode = root.get("dt");
        if (cell.usesDt()) {
            if (dtNode == null || dtNode.isNull()) {
                throw new ModelFormatException(json + ": " + cell.id() + " needs \"dt\" (a number in (0, 1])");
            }
            if (!dtNode.isNumber() || !(dtNode.asDouble() > 0 && dtNode.asDouble() <= 1)) {
                throw new ModelFormatException(
                        json + ": \"dt\" of " + cell.id() + " must be a number in (0, 1], got " + dtNode);
            }
            dt = dtNode.asDouble();
        } else if (dtNode != null && !dtNode.isNull() && !(dtNode.isNumber() && dtNode.asDouble() == 1.0)) {
            // A dt the cell does not use would be ignored: say so instead of analysing another model.
            throw new ModelFormatException(json + ": " + cell.id() + " has no time step: \"dt\" must be null or absent"
                    + " (only rnn_leaky and rnn_linear use it), got " + dtNode);
        }
        boolean bias = cell.allowsBias();
        JsonNode biasNode = root.get("bias");
        if (biasNode != null && !biasNode.isNull()) {
            if (!biasNode.isBoolean()) {
                throw new ModelFormatException(json + ": \"bias\" must be true or false, got " + biasNode);
            }
            bias = biasNode.asBoolean();
        }
        if (!cell.allowsBias() && bias) {
            throw new ModelFormatException(json + ": " + cell.id() + " has no bias (\"bias\" must be false)");
        }
        if (!bias) {
            for (String name : new String[] {"bias_ih", "bias_hh"}) {
                if (Files.exists(dir.resolve(name + ".npy"))) {
                    throw new ModelFormatException(json + ": \"bias\" is false but " + dir.resolve(name + ".npy")
                            + " is there: set \"bias\": true to use it, or remove it");
                }
            }
        }
        JsonNode h0 = root.get("h0");
        if (h0 != null && !h0.isNull() && !(h0.isTextual() && h0.asText().equals("zeros"))) {
            throw new ModelFormatException(json + ": \"h0\" must be absent or \"zeros\", got " + h0);
        }
        Map<String, double[]> params = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (String name : Model.parameterNames(bias)) {
                Path file = dir.resolve(name + ".npy");
                if (!Files.isRegularFile(file)) {
                    throw new ModelFormatException(file + ": missing (" + cell.id() + (bias ? " with bias" : "")
                            + " needs "
                            + String.join(
                                    ", ",
                                    Model.parameterNames(bias).stream()
                                            .map(n -> n + ".npy")
                                            .toList()) + ")");
                }
                Tensor t = Npy.read(file, arena);
                long[] want = Model.parameterShape(cell, hidden, input, name);
                if (!Arrays.equals(t.shape(), want)) {
                    throw new ModelFormatException(
                            file + ": shape " + Arrays.toString(t.shape()) + " but " + cell.id() + " with hidden_size="
                                    + hidden + ", input_size=" + input + " needs " + Arrays.toString(want));
                }
                double[] values = t.toArray();
                for (int i = 0; i < values.length; i++) {
                    if (!Double.isFinite(values[i])) {
                        throw new ModelFormatException(
                                file + ": contains a non-finite value (" + values[i] + ") at flat index " + i);
                    }
                }
                params.put(name, values);
            }
        }
        try {
            return Model.of(cell, hidden, input, dt, bias, params);
        } catch (InvalidInputException e) {
            throw new ModelFormatException(dir + ": " + e.getMessage());
        }
    }

    /**
     * An attention_mlp directory: model.json's {@code "attention_mlp"} object ({@code d_input},
     * {@code d_model}, {@code heads}, {@code mlp_hidden}, {@code mlp_layers}, {@code d_output},
     * {@code max_seq_len}, {@code positional}, {@code causal}) and one .npy per parameter named by
     * its PyTorch name ({@code attn.q_proj.weight.npy}).
     */
    private static Model readAttention(Path dir, Path json, JsonNode root) {
        JsonNode c = root.get("attention_mlp");
        if (c == null || !c.isObject()) {
            throw new ModelFormatException(json + ": attention_mlp needs an \"attention_mlp\" object with its sizes"
                    + " (d_input, d_model, heads, mlp_hidden, mlp_layers, d_output, max_seq_len, positional, causal)");
        }
        AttentionMlpConfig cfg;
        try {
            boolean positional = bool(json, c, "positional");
            cfg = new AttentionMlpConfig(
                    positiveInt(json, c, "d_input"),
                    positiveInt(json, c, "d_model"),
                    positiveInt(json, c, "heads"),
                    c.path("mlp_layers").asInt() > 1 ? positiveInt(json, c, "mlp_hidden") : 0,
                    positiveInt(json, c, "mlp_layers"),
                    positiveInt(json, c, "d_output"),
                    positional ? positiveInt(json, c, "max_seq_len") : 0,
                    positional,
                    bool(json, c, "causal"));
        } catch (ModelFormatException e) {
            throw e;
        } catch (InvalidInputException e) {
            throw new ModelFormatException(json + ": " + e.getMessage());
        }
        Map<String, double[]> params = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (String name : cfg.parameterNames()) {
                Path file = dir.resolve(name + ".npy");
                if (!Files.isRegularFile(file)) {
                    throw new ModelFormatException(file + ": missing (attention_mlp needs "
                            + String.join(
                                    ", ",
                                    cfg.parameterNames().stream()
                                            .map(n -> n + ".npy")
                                            .toList()) + ")");
                }
                Tensor t = Npy.read(file, arena);
                long[] want = cfg.parameterShape(name);
                if (!Arrays.equals(t.shape(), want)) {
                    throw new ModelFormatException(file + ": shape " + Arrays.toString(t.shape()) + " but " + cfg
                            + " needs " + Arrays.toString(want));
                }
                params.put(name, t.toArray());
            }
        }
        try {
            return Model.attentionMlp(cfg, params);
        } catch (InvalidInputException e) {
            throw new ModelFormatException(dir + ": " + e.getMessage());
        }
    }

    private static void writeAttention(Path dir, Model model) throws IOException {
        AttentionMlpConfig cfg = model.attentionConfig();
        ObjectNode root = JSON.createObjectNode();
        root.put("cell", model.cell().id());
        ObjectNode c = root.putObject("attention_mlp");
        c.put("d_input", cfg.dInput());
        c.put("d_model", cfg.dModel());
        c.put("heads", cfg.heads());
        c.put("mlp_hidden", cfg.mlpHidden());
        c.put("mlp_layers", cfg.mlpLayers());
        c.put("d_output", cfg.dOutput());
        c.put("max_seq_len", cfg.maxSeqLen());
        c.put("positional", cfg.positional());
        c.put("causal", cfg.causal());
        try (Arena arena = Arena.ofConfined()) {
            for (String name : model.parameterNames()) {
                Npy.write(
                        dir.resolve(name + ".npy"), Tensor.of(arena, model.parameter(name), cfg.parameterShape(name)));
            }
        }
        TemporaryFiles.writeAtomically(
                dir.resolve("model.json"),
                (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static boolean bool(Path json, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isBoolean()) {
            throw new ModelFormatException(json + ": \"" + key + "\" must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    /**
     * The optional readout of a model directory ({@code readout_weight.npy} [O, H] and
     * {@code readout_bias.npy} [O]), or null when neither file is there.
     */
    public static io.ntk4j.Readout readReadout(Path dir, int hiddenSize) {
        Path w = dir.resolve("readout_weight.npy"), b = dir.resolve("readout_bias.npy");
        if (!Files.exists(w) && !Files.exists(b)) {
            return null;
        }
        if (!Files.exists(w) || !Files.exists(b)) {
            throw new ModelFormatException(dir + ": a readout needs both readout_weight.npy and readout_bias.npy");
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor wt = Npy.read(w, arena), bt = Npy.read(b, arena);
            if (wt.rank() != 2 || wt.dim(1) != hiddenSize || bt.rank() != 1 || bt.dim(0) != wt.dim(0)) {
                throw new ModelFormatException(
                        dir + ": readout_weight.npy must be [O, " + hiddenSize + "] and readout_bias.npy [O], got "
                                + Arrays.toString(wt.shape()) + " and " + Arrays.toString(bt.shape()));
            }
            return new io.ntk4j.Readout((int) wt.dim(0), hiddenSize, wt.toArray(), bt.toArray());
        }
    }

    /**
     * Writes a model directory with its readout (readout_weight.npy, readout_bias.npy; null: none).
     * Each file is written atomically, and model.json, which makes the folder a model, is removed
     * first and written last: a write interrupted in between (SIGKILL, a full disk) leaves a folder
     * that is refused as incomplete, never one that loads old and new files mixed. Parameter and
     * readout files of an earlier model that this one does not have are removed for the same reason.
     */
    public static void write(Path dir, Model model, io.ntk4j.Readout readout) {
        try {
            Files.createDirectories(dir);
            if (model.attentionConfig() != null && readout != null) {
                throw new InvalidInputException("attention_mlp has its output layer inside: no separate readout");
            }
            Files.deleteIfExists(dir.resolve("model.json"));
            removeStaleParameters(dir, model, readout != null);
            if (model.attentionConfig() != null) {
                writeAttention(dir, model);
                return;
            }
            ObjectNode root = JSON.createObjectNode();
            root.put("cell", model.cell().id());
            root.put("hidden_size", model.hiddenSize());
            root.put("input_size", model.inputSize());
            if (model.cell().usesDt()) {
                root.put("dt", model.dt());
            } else {
                root.putNull("dt");
            }
            root.put("bias", model.bias());
            root.put("h0", "zeros");
            try (Arena arena = Arena.ofConfined()) {
                for (String name : model.parameterNames()) {
                    long[] shape = Model.parameterShape(model.cell(), model.hiddenSize(), model.inputSize(), name);
                    Npy.write(dir.resolve(name + ".npy"), Tensor.of(arena, model.parameter(name), shape));
                }
                if (readout != null) {
                    Npy.write(
                            dir.resolve("readout_weight.npy"),
                            Tensor.of(arena, readout.weight(), readout.outputSize(), readout.hiddenSize()));
                    Npy.write(dir.resolve("readout_bias.npy"), Tensor.of(arena, readout.bias(), readout.outputSize()));
                }
            }
            TemporaryFiles.writeAtomically(
                    dir.resolve("model.json"),
                    (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write model: " + e.getMessage(), e);
        }
    }

    /**
     * Removes the parameter and readout files of an earlier model (recurrent or attention_mlp) that
     * {@code model} does not have, so that none of them is read beside the new one.
     */
    private static void removeStaleParameters(Path dir, Model model, boolean keepReadout) throws IOException {
        java.util.Set<String> keep = new java.util.HashSet<>(model.parameterNames());
        if (keepReadout) {
            keep.add("readout_weight");
            keep.add("readout_bias");
        }
        try (var files = Files.newDirectoryStream(dir, "*.npy")) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                String name = n.substring(0, n.length() - ".npy".length());
                boolean parameter = Model.parameterNames(true).contains(name)
                        || name.equals("readout_weight")
                        || name.equals("readout_bias")
                        || AttentionStateDict.isAttentionName(name);
                if (parameter && !keep.contains(name)) {
                    Files.delete(f);
                }
            }
        }
    }

    /** Writes a model directory without a readout ({@link #write(Path, Model, io.ntk4j.Readout)} with null). */
    public static void write(Path dir, Model model) {
        write(dir, model, null);
    }

    private static boolean hasNpy(Path dir) {
        try (var files = Files.newDirectoryStream(dir, "*.npy")) {
            return files.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    private static String text(Path json, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new ModelFormatException(json + ": missing \"" + key + "\"");
        }
        if (!n.isTextual()) {
            throw new ModelFormatException(json + ": \"" + key + "\" must be a string, got " + n);
        }
        return n.asText();
    }

    private static int positiveInt(Path json, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new ModelFormatException(json + ": missing \"" + key + "\"");
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
            throw new ModelFormatException(json + ": \"" + key + "\" must be a positive integer, got " + n);
        }
        return n.asInt();
    }
}
