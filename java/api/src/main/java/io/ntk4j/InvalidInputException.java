package io.ntk4j;

/**
 * Bad input: a wrong shape, a non-finite value, a malformed file, an unknown cell. The message
 * names the file or argument and the rule it breaks.
 *
 * {@snippet :
 * try {
 *   io.ntk4j.io.ModelFiles.load(Path.of("no/such/model"));
 * } catch (InvalidInputException e) {   // unchecked: no throws clause in the way
 *   System.err.println(e.getMessage());
 * }
 * }
 */
public class InvalidInputException extends Ntk4jException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, int status, Throwable cause) {
        super(message, status, cause);
    }
}
