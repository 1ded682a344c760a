package io.ntk4j;

/**
 * A linear readout y = W_out h + b_out on the hidden state (DESIGN.md, "Learning dynamics"):
 * {@code weight} is [O, H] row-major, {@code bias} is [O].
 *
 * {@snippet :
 * Readout r = new Readout(2, 3, new double[] {1, 0, 0, 0, 1, 0}, new double[] {0, 0});  // O = 2, H = 3
 * }
 */
public record Readout(int outputSize, int hiddenSize, double[] weight, double[] bias) {
    public Readout {
        if (outputSize <= 0 || hiddenSize <= 0) {
            throw new InvalidInputException("readout sizes must be > 0, got O=" + outputSize + ", H=" + hiddenSize);
        }
        if (weight.length != (long) outputSize * hiddenSize || bias.length != outputSize) {
            throw new InvalidInputException(
                    "readout_weight must be [" + outputSize + ", " + hiddenSize + "] and readout_bias [" + outputSize
                            + "], got " + weight.length + " and " + bias.length + " values");
        }
        for (double v : weight) {
            if (!Double.isFinite(v)) {
                throw new InvalidInputException("readout_weight contains a non-finite value (" + v + ")");
            }
        }
        for (double v : bias) {
            if (!Double.isFinite(v)) {
                throw new InvalidInputException("readout_bias contains a non-finite value (" + v + ")");
            }
        }
        weight = weight.clone();
        bias = bias.clone();
    }

    @Override
    public double[] weight() {
        return weight.clone();
    }

    @Override
    public double[] bias() {
        return bias.clone();
    }
}
