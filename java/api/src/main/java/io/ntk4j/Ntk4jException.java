package io.ntk4j;

/**
 * Base of every exception ntk4j throws. Unchecked, so that Kotlin and Scala callers are not
 * forced into handlers, and carrying the native status code when the failure came from the
 * native core ({@code 0} otherwise).
 *
 * {@snippet :
 * try {
 *   Eigs.top(session.ntk(), EigsOptions.top(5));
 * } catch (Ntk4jException e) {   // InvalidInputException or NumericalException
 *   System.err.println(e.getMessage());
 * }
 * }
 */
public class Ntk4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public Ntk4jException(String message) {
        this(message, 0, null);
    }

    public Ntk4jException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The native status code (see {@code ntk4j.h}), or 0 for failures detected in Java. */
    public int status() {
        return status;
    }
}
