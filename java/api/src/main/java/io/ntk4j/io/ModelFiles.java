package io.ntk4j.io;

import io.ntk4j.Model;
import java.nio.file.Path;

/**
 * Loads a model from whatever file a user has: a model directory (model.json + one float64 .npy
 * per parameter, {@link ModelDirectory}) or a PyTorch state dict ({@code .safetensors},
 * {@code .npz}, {@link PyTorchModel}) whose cell its shapes decide. What a state dict does not say
 * and was assumed is kept on the model ({@link Model#assumptions()}); what cannot be assumed
 * safely (an RNN's nonlinearity) is refused: {@link PyTorchModel#load} with options says it. A
 * {@code torch.save} pickle is refused with the export to use.
 *
 * {@snippet :
 * Model model = ModelFiles.load(Path.of("tests/golden/gru"));
 * }
 */
public final class ModelFiles {
    private ModelFiles() {}

    public static Model load(Path path) {
        if (PyTorchModel.isStateDictFile(path)) {
            return PyTorchModel.load(path, PyTorchModel.Options.inferred()).model();
        }
        return ModelDirectory.read(path);
    }
}
