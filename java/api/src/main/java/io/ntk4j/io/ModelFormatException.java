package io.ntk4j.io;

import io.ntk4j.InvalidInputException;

/**
 * A model directory that cannot be loaded; the message names the file and the problem.
 *
 * {@snippet :
 * try {
 *   ModelFiles.load(Path.of("gru-2layer.safetensors"));
 * } catch (ModelFormatException e) {   // e.g. "a multi-layer network (found ...)"
 *   System.err.println(e.getMessage());
 * }
 * }
 */
public final class ModelFormatException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }
}
