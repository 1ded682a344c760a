package io.ntk4j.spark;

import java.io.Serial;
import java.io.Serializable;

/**
 * One batch shard: trials [first, first + trials) of the batch and their inputs [trials, T, N],
 * flat row-major. P and P* act on each trial alone, so a shard's trajectory and its part of P J
 * are its own (DESIGN.md, "Operators").
 */
record Shard(int index, int first, int trials, int steps, int inputSize, double[] inputs) implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
}
