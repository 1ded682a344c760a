package io.ntk4j;

/**
 * A request that does not fit in the memory available (the system's, or the budget of
 * {@link Ntk4j#setMemoryBudget}): refused before allocating, with what needs how much and how much
 * there is, instead of the process being killed. The CLI exits with 2, as for other inputs it
 * cannot serve.
 *
 * {@snippet :
 * Ntk4j.setMemoryBudget(4L << 30);   // 4 GiB for this process
 * try (Session s = Session.open(model, inputs)) {
 *   ...
 * } catch (ResourceLimitException e) {   // "the trajectory needs 9.83 GB but the memory budget ..."
 *   System.err.println(e.getMessage());
 * }
 * }
 */
public final class ResourceLimitException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    public ResourceLimitException(String message) {
        super(message);
    }

    public ResourceLimitException(String message, int status) {
        super(message, status, null);
    }
}
