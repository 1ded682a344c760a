package io.ntk4j.training;

/**
 * Training losses (issue 4): on the readout output, or directly on the state.
 *
 * {@snippet :
 * Loss loss = Loss.fromId("state");   // 1/2 sum (h - target)^2; "mse" is torch's MSELoss on the readout
 * }
 */
public enum Loss {
    /** torch's MSELoss: mean over B*T*O of (W_out h + b_out - y)^2; needs a readout. */
    MSE("mse"),
    /** Student-teacher on the state: 1/2 sum over b, t, i of (h - target)^2. */
    STATE("state");

    private final String id;

    Loss(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Loss fromId(String id) {
        for (Loss l : values()) {
            if (l.id.equals(id)) {
                return l;
            }
        }
        throw new io.ntk4j.InvalidInputException("unknown loss \"" + id + "\" (supported: mse, state)");
    }
}
