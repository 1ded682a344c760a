package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.Tensor;
import io.ntk4j.tasks.Tasks;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** [T, B, N] files turned batch first, and the warning when a [B, T, N] file looks time-major. */
class SequenceLayoutTest {
    /** The same data laid out [T, B, N] (the inverse of batchFirst, written out here by index). */
    static Tensor timeMajor(Tensor x, Arena arena) {
        long b = x.dim(0), t = x.dim(1), n = x.dim(2);
        Tensor out = Tensor.allocate(arena, t, b, n);
        for (long bi = 0; bi < b; bi++) {
            for (long ti = 0; ti < t; ti++) {
                for (long k = 0; k < n; k++) {
                    out.set(x.get(bi, ti, k), ti, bi, k);
                }
            }
        }
        return out;
    }

    @Test
    void timeMajorDataAreTurnedBatchFirstExactly() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 3, 1.0, 4, 7, 2);
            Tensor back = SequenceLayout.batchFirst(timeMajor(x, arena), arena);
            assertThat(back.shape()).containsExactly(4, 7, 2);
            assertThat(back.toArray()).isEqualTo(x.toArray());
        }
    }

    @Test
    void taskInputsInTheOtherOrderAreFlaggedAndTheRightOrderIsNot() {
        try (Arena arena = Arena.ofConfined()) {
            for (String task : new String[] {"memory_pro", "memory_pro_anti", "context_integration"}) {
                Tensor x = Tasks.generate(task, 40, 60, true, 1, arena).inputs();
                assertThat(SequenceLayout.orderWarning(x, task))
                        .as(task + " batch first")
                        .isEmpty();
                Tensor swapped = timeMajor(x, arena);
                assertThat(SequenceLayout.orderWarning(swapped, task))
                        .as(task + " time-major read as batch first")
                        .hasValueSatisfying(w -> assertThat(w).contains("--time-major"));
            }
            // flip_flop's pulses are as rough along time as across trials: no signal either way (the
            // heuristic's stated limit), and above all no false warning.
            Tensor ff = Tasks.generate("flip_flop", 40, 60, true, 1, arena).inputs();
            assertThat(SequenceLayout.orderWarning(ff, "flip_flop")).isEmpty();
            assertThat(SequenceLayout.orderWarning(timeMajor(ff, arena), "flip_flop"))
                    .isEmpty();
            assertThat(SequenceLayout.orderWarning(Tensor.gaussian(arena, 1, 1.0, 30, 50, 3), "noise"))
                    .isEmpty();
            Tensor sameTrials = Tensor.allocate(arena, 8, 20, 1);
            for (long b = 0; b < 8; b++) {
                for (long t = 0; t < 20; t++) {
                    sameTrials.set(Math.sin(t), b, t, 0);
                }
            }
            assertThat(SequenceLayout.orderWarning(sameTrials, "identical trials"))
                    .isEmpty();
            assertThat(SequenceLayout.orderWarning(Tensor.allocate(arena, 90, 1, 3), "one step"))
                    .hasValueSatisfying(w -> assertThat(w).contains("90 trials of a single step"));
        }
    }
}
