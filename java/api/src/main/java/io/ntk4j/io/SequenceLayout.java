package io.ntk4j.io;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The order of a batch of sequences. ntk4j takes inputs and targets as [B, T, N] (batch first,
 * DESIGN.md "Conventions"); PyTorch's {@code nn.RNN} and {@code nn.GRU} default to [T, B, N]
 * ({@code batch_first=False}), and a file in that order would be read as B = T trials of T = B
 * steps without an error. {@link #batchFirst} converts; {@link #orderWarning} says when a
 * [B, T, N] array looks like it is really [T, B, N].
 */
public final class SequenceLayout {
    private SequenceLayout() {}

    /** [T, B, N] to a new [B, T, N] tensor in {@code arena}. */
    public static Tensor batchFirst(Tensor timeMajor, Arena arena) {
        if (timeMajor.rank() != 3) {
            throw new InvalidInputException("time-major sequences must be [T, B, N], got shape "
                    + java.util.Arrays.toString(timeMajor.shape()));
        }
        long t = timeMajor.dim(0), b = timeMajor.dim(1), n = timeMajor.dim(2);
        Tensor out = Tensor.allocate(arena, b, t, n);
        MemorySegment src = timeMajor.segment(), dst = out.segment();
        long row = n * Tensor.ELEMENT.byteSize();
        for (long ti = 0; ti < t; ti++) {
            for (long bi = 0; bi < b; bi++) {
                MemorySegment.copy(src, (ti * b + bi) * row, dst, (bi * t + ti) * row, row);
            }
        }
        return out;
    }

    /**
     * A warning when a [B, T, N] array ({@code what} names it) looks time-major: a single step per
     * trial while there are many "trials", or values that change much less from one "trial" to the
     * next than from one "step" to the next (task inputs hold their values over time; separate
     * trials do not follow each other). Empty when nothing suggests it. A heuristic: inputs as rough
     * along time as across trials (flip-flop pulses, white noise) give no signal either way.
     */
    public static Optional<String> orderWarning(Tensor x, String what) {
        if (x.rank() != 3) {
            return Optional.empty();
        }
        long b = x.dim(0), t = x.dim(1), n = x.dim(2);
        String hint = " If it is [T, B, N] (PyTorch's default, batch_first=False), pass --time-major.";
        if (t == 1 && b > 1) {
            return Optional.of(
                    what + " has shape [" + b + ", 1, " + n + "]: read as " + b + " trials of a single step." + hint);
        }
        // The value signal needs enough entries to be more than noise (iid data give a ratio of 1).
        if (b < 8 || t < 8 || b * t * n < 1000) {
            return Optional.empty();
        }
        // Mean |difference| between neighbours along each axis, over the whole array.
        double alongB = 0, alongT = 0;
        for (long bi = 0; bi < b; bi++) {
            for (long ti = 0; ti < t; ti++) {
                for (long k = 0; k < n; k++) {
                    double v = x.getFlat((bi * t + ti) * n + k);
                    if (bi + 1 < b) {
                        alongB += Math.abs(x.getFlat(((bi + 1) * t + ti) * n + k) - v);
                    }
                    if (ti + 1 < t) {
                        alongT += Math.abs(x.getFlat((bi * t + ti + 1) * n + k) - v);
                    }
                }
            }
        }
        alongB /= (double) (b - 1) * t * n;
        alongT /= (double) b * (t - 1) * n;
        // Task inputs in the right order change less along time than across trials (measured on the
        // built-in tasks: alongT / alongB = 0.6 to 1.0); swapped, 1.6 to 1.7 or far more. Identical
        // trials (alongB = 0) are a legitimate batch, not a sign of the other order.
        if (alongB > 0 && alongT >= 1.5 * alongB) {
            return Optional.of(String.format(
                    java.util.Locale.ROOT,
                    "%s [%d, %d, %d] changes %.1fx less from one trial to the next than from one step to the next,"
                            + " as time-major data would.%s",
                    what,
                    b,
                    t,
                    n,
                    alongT / alongB,
                    hint));
        }
        return Optional.empty();
    }
}
