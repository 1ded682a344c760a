package io.ntk4j.io;

import io.ntk4j.InvalidInputException;

/**
 * A .npy file ntk4j cannot read: the message names the file and what is wrong with it.
 *
 * {@snippet :
 * try {
 *   Npy.read(Path.of("broken.npy"), arena);
 * } catch (NpyFormatException e) {   // names the file and what is wrong with it
 *   System.err.println(e.getMessage());
 * }
 * }
 */
public final class NpyFormatException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    public NpyFormatException(String message) {
        super(message);
    }
}
