package io.ntk4j.cli;

import io.ntk4j.CellKind;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.PyTorchModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --model} as every command takes it: a model directory, or a PyTorch state dict
 * ({@code .safetensors}, {@code .npz}) with {@code --cell} and {@code --dt} for what the file does
 * not say. Notes on assumptions (float32 upcast, default dt) go to stderr.
 */
final class ModelOption {
    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR|FILE",
            description = "model directory (model.json + .npy weights) or a PyTorch state dict (.safetensors, .npz)")
    Path model;

    @Option(
            names = "--cell",
            paramLabel = "KIND",
            description =
                    "cell of a state-dict file when its shapes do not decide it: rnn_leaky, rnn_elman, gru, rnn_relu, rnn_linear, lstm")
    String cell;

    @Option(
            names = "--dt",
            paramLabel = "DT",
            description = "dt of a leaky cell loaded from a state-dict file (default 1)")
    Double dt;

    @Option(
            names = "--nonlinearity",
            paramLabel = "tanh|relu",
            description =
                    "nonlinearity of an RNN state-dict file, which its weights do not tell (ntk4j's RNN cells are tanh)")
    String nonlinearity;

    @Option(
            names = "--heads",
            paramLabel = "N",
            description = "head count of an attention_mlp state-dict file, which its weights do not tell")
    Integer heads;

    @Option(
            names = "--causal",
            description = "an attention_mlp state-dict file attends causally (token t to t' <= t; default: no mask)")
    boolean causal;

    PyTorchModel.Loaded load(PrintWriter err) {
        if (PyTorchModel.isStateDictFile(model)) {
            if (heads != null && heads <= 0) {
                throw new io.ntk4j.InvalidInputException("--heads must be > 0, got " + heads);
            }
            PyTorchModel.Loaded m = PyTorchModel.load(
                    model,
                    new PyTorchModel.Options(
                                    cell == null ? null : CellKind.fromId(cell),
                                    dt == null ? Double.NaN : dt,
                                    nonlinearity == null ? null : PyTorchModel.Nonlinearity.fromId(nonlinearity))
                            .withAttention(heads == null ? 0 : heads, causal));
            m.model().assumptions().forEach(n -> err.println("ntk4j: note: " + n));
            err.flush();
            return m;
        }
        if (cell != null || dt != null || nonlinearity != null || heads != null || causal) {
            throw new io.ntk4j.InvalidInputException("--cell, --dt, --nonlinearity, --heads and --causal apply to "
                    + "state-dict files only; "
                    + model + " is a model directory, whose model.json says all of them");
        }
        io.ntk4j.Model m = ModelDirectory.read(model);
        return new PyTorchModel.Loaded(m, ModelDirectory.readReadout(model, m.hiddenSize()), List.of());
    }
}
