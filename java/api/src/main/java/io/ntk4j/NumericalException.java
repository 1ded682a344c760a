package io.ntk4j;

/**
 * A computation that could not produce a trustworthy number (for example a trajectory that
 * overflows to infinity).
 *
 * {@snippet :
 * try {
 *   Session.open(model, inputs);
 * } catch (NumericalException e) {   // e.g. a trajectory that overflows
 *   System.err.println(e.getMessage() + " (status " + e.status() + ")");
 * }
 * }
 */
public class NumericalException extends Ntk4jException {
    private static final long serialVersionUID = 1L;

    public NumericalException(String message, int status) {
        super(message, status, null);
    }
}
