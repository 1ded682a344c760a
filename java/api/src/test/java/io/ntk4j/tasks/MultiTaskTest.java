package io.ntk4j.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** kpflow's mix_multi_tasks conventions, checked trial by trial against the sub-task generators. */
class MultiTaskTest {
    @Test
    void everyTrialIsASubTaskTrialAfterAContextUnderItsRule() {
        try (Arena arena = Arena.ofConfined()) {
            int trials = 12, steps = 48, context = 12;
            Tasks.MultiTaskData m = Tasks.multiMemoryPro(trials, steps, false, 5, arena);
            Tasks.Data pro = Tasks.memoryPro(trials / 2, steps - context, false, false, 5, arena);
            Tasks.Data anti = Tasks.memoryPro(trials / 2, steps - context, true, false, 6, arena);
            assertThat(m.inputs().shape()).containsExactly(trials, steps, 4);
            assertThat(m.targets().shape()).containsExactly(trials, steps, 3);
            int[] count = new int[2];
            boolean[][] used = new boolean[2][trials / 2];
            boolean shuffled = false;
            for (int row = 0; row < trials; row++) {
                int k = m.task()[row];
                count[k]++;
                shuffled |= k != (row < trials / 2 ? 0 : 1);
                Tasks.Data d = k == 0 ? pro : anti;
                for (int t = 0; t < steps; t++) {
                    assertThat(m.inputs().get(row, t, 3)).isEqualTo(k); // the rule, throughout
                    for (int c = 0; c < 3; c++) {
                        if (t < context) {
                            assertThat(m.inputs().get(row, t, c)).isZero();
                            assertThat(m.targets().get(row, t, c)).isZero();
                        }
                    }
                }
                // The sub-task trial it came from: the one with the same stimulus.
                int match = -1;
                for (int j = 0; j < trials / 2; j++) {
                    if (d.inputs().get(j, 0, 1) == m.inputs().get(row, context, 1)
                            && d.inputs().get(j, 0, 2) == m.inputs().get(row, context, 2)) {
                        match = j;
                    }
                }
                assertThat(match).as("row " + row).isNotNegative();
                assertThat(used[k][match]).isFalse();
                used[k][match] = true;
                for (int t = context; t < steps; t++) {
                    for (int c = 0; c < 3; c++) {
                        assertThat(m.inputs().get(row, t, c))
                                .isEqualTo(d.inputs().get(match, t - context, c));
                        assertThat(m.targets().get(row, t, c))
                                .isEqualTo(d.targets().get(match, t - context, c));
                    }
                }
            }
            assertThat(count).containsExactly(trials / 2, trials / 2);
            assertThat(shuffled).isTrue();
        }
    }

    @Test
    void noiseLandsOnTheContextAndTheRuleAndIsSeeded() {
        try (Arena arena = Arena.ofConfined()) {
            Tasks.MultiTaskData a = Tasks.multiMemoryPro(8, 40, true, 3, arena),
                    b = Tasks.multiMemoryPro(8, 40, true, 3, arena);
            assertThat(a.inputs().toArray()).containsExactly(b.inputs().toArray());
            assertThat(a.task()).containsExactly(b.task());
            double rule = 0, context = 0;
            for (int row = 0; row < 8; row++) {
                for (int t = 0; t < 10; t++) {
                    rule += Math.abs(a.inputs().get(row, t, 3) - a.task()[row]);
                    context += Math.abs(a.inputs().get(row, t, 0));
                }
            }
            assertThat(rule).isPositive();
            assertThat(context).isPositive();
            assertThatThrownBy(() -> Tasks.multiMemoryPro(7, 40, true, 3, arena))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("even number of trials");
            assertThat(Tasks.generate("multi_memory_pro", 8, 40, false, 1, arena)
                            .inputs()
                            .dim(2))
                    .isEqualTo(4);
        }
    }
}
