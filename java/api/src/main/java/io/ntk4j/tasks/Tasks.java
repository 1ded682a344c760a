package io.ntk4j.tasks;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The tasks of the KPFlow papers, generated deterministically from a seed as inputs [B, T, N] and
 * targets [B, T, O], with the public reference's conventions (its {@code custom_tasks}):
 * <ul>
 *   <li><b>memory_pro</b> (a simplified MemoryPro after Driscoll et al.): T splits into stimulus,
 *       memory and response periods of T/3 steps. Inputs [fixation, A cos θ, A sin θ]: fixation 1
 *       until the response period, the stimulus (θ uniform in [0, 2π), amplitude A = 1) during the
 *       stimulus period only. Targets: the fixation input itself, and (cos θ, sin θ) during the
 *       response period (negated for the anti variant). Noise: N(0, (0.1 √2)²) added to the
 *       inputs; without noise the angles are evenly spaced, 2πb/B.
 *   <li><b>flip_flop</b> (3-bit flip-flop): at each step each of the 3 channels receives a pulse of
 *       random sign ±1 with rate 1/nSpike (default 20; as in the reference, the number of pulses
 *       per step and channel is Poisson(B/nSpike), placed on distinct trials); the target of a
 *       channel is the sign of its last pulse (0 before the first). Noise N(0, (0.03 √2)²) on the
 *       inputs.
 *   <li><b>context_integration</b> (after Mante et al. 2013; the reference names this task without
 *       a generator, so this is our convention): inputs [motion, colour, context motion, context
 *       colour]; each trial has coherences c_m, c_c uniform in [−0.2, 0.2] (0 excluded by
 *       resampling below 0.01 in magnitude) and one active context. During the stimulus period
 *       (the first 2T/3 steps) the two evidence channels carry c + N(0, 1) noise (c alone without
 *       noise), the context channels carry the one-hot context throughout; the single target
 *       channel is sign(c of the cued channel) during the response period (the last T/3 steps),
 *       0 before.
 *   <li><b>multi_memory_pro</b>: memory_pro and memory_pro_anti mixed under a rule input after a
 *       context period of T/4 steps (kpflow's {@code mix_multi_tasks}; {@link #mix}): inputs
 *       [fixation, cos, sin, rule], targets [fixation, cos, sin], trials shuffled.
 * </ul>
 *
 * {@snippet :
 * try (Arena arena = Arena.ofConfined()) {
 *   Tasks.Data d = Tasks.generate("memory_pro", 200, 90, true, 1, arena);   // inputs [200, 90, 3]
 * }
 * }
 */
public final class Tasks {
    private Tasks() {}

    /** Task names accepted by {@link #generate}. */
    public static final java.util.List<String> NAMES =
            java.util.List.of("memory_pro", "memory_pro_anti", "flip_flop", "context_integration", "multi_memory_pro");

    /** One batch: inputs [B, T, N] and targets [B, T, O]. */
    public record Data(Tensor inputs, Tensor targets) {}

    /** Generates {@code trials} trials of {@code steps} steps of the named task. */
    public static Data generate(String task, int trials, int steps, boolean noise, long seed, Arena arena) {
        if (trials < 1) {
            throw new InvalidInputException("trials must be >= 1, got " + trials);
        }
        if (steps < 3) {
            throw new InvalidInputException("T must be >= 3, got " + steps);
        }
        return switch (task == null ? "" : task.toLowerCase(Locale.ROOT)) {
            case "memory_pro" -> memoryPro(trials, steps, false, noise, seed, arena);
            case "memory_pro_anti" -> memoryPro(trials, steps, true, noise, seed, arena);
            case "flip_flop" -> flipFlop(trials, steps, 20, noise, seed, arena);
            case "context_integration" -> contextIntegration(trials, steps, noise, seed, arena);
            case "multi_memory_pro" -> {
                MultiTaskData m = multiMemoryPro(trials, steps, noise, seed, arena);
                yield new Data(m.inputs(), m.targets());
            }
            default ->
                throw new InvalidInputException(
                        "unknown task \"" + task + "\" (supported: " + String.join(", ", NAMES) + ")");
        };
    }

    /** MemoryPro with three periods of T/3 steps (T divisible by 3). */
    public static Data memoryPro(int trials, int steps, boolean anti, boolean noise, long seed, Arena arena) {
        if (steps % 3 != 0) {
            throw new InvalidInputException(
                    "memory_pro splits T into 3 equal periods: T must be a multiple of 3, got " + steps);
        }
        int memoryStart = steps / 3, responseStart = 2 * steps / 3;
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor x = Tensor.allocate(arena, trials, steps, 3), y = Tensor.allocate(arena, trials, steps, 3);
        double sign = anti ? -1 : 1;
        for (int b = 0; b < trials; b++) {
            double angle = noise ? 2 * Math.PI * rng.nextDouble() : 2 * Math.PI * b / trials;
            double c = Math.cos(angle), s = Math.sin(angle);
            for (int t = 0; t < steps; t++) {
                double fix = t < responseStart ? 1 : 0;
                x.set(fix, b, t, 0);
                y.set(fix, b, t, 0);
                if (t < memoryStart) {
                    x.set(c, b, t, 1);
                    x.set(s, b, t, 2);
                }
                if (t >= responseStart) {
                    y.set(sign * c, b, t, 1);
                    y.set(sign * s, b, t, 2);
                }
            }
        }
        if (noise) {
            addNoise(x, 0.1 * Math.sqrt(2), rng);
        }
        return new Data(x, y);
    }

    /** A multi-task batch: inputs, targets, and which sub-task (0 or 1) each trial is. */
    public record MultiTaskData(Tensor inputs, Tensor targets, int[] task) {}

    /**
     * Two tasks mixed into one under a rule input (kpflow's {@code mix_multi_tasks}): a context
     * period of {@code contextSteps} steps is put before both tasks' trials (inputs [fixation, cos,
     * sin] of 3 channels each), a fourth input channel carries the rule (0 for task 0, 1 for task
     * 1) at every step, the targets (3 channels) are 0 during the context period; the trials are
     * shuffled (a seeded permutation). With noise, N(0, (0.1 √2)²) is added to the first three
     * input channels during the context period and to the rule channel throughout (the tasks'
     * own noise is theirs).
     */
    public static MultiTaskData mix(Data a, Data b, int contextSteps, boolean noise, long seed, Arena arena) {
        long steps = a.inputs().dim(1);
        if (a.inputs().dim(2) != 3
                || b.inputs().dim(2) != 3
                || a.targets().dim(2) != 3
                || b.targets().dim(2) != 3
                || b.inputs().dim(1) != steps
                || contextSteps < 0) {
            throw new InvalidInputException("mix needs two tasks of 3 input and 3 target channels and the same T, and"
                    + " a context period >= 0");
        }
        int na = (int) a.inputs().dim(0), n = na + (int) b.inputs().dim(0);
        long total = steps + contextSteps;
        SplittableRandom rng = new SplittableRandom(seed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates
            int j = rng.nextInt(i + 1), tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        Tensor x = Tensor.allocate(arena, n, total, 4), y = Tensor.allocate(arena, n, total, 3);
        int[] task = new int[n];
        for (int row = 0; row < n; row++) {
            int src = order[row];
            Data d = src < na ? a : b;
            int trial = src < na ? src : src - na;
            task[row] = src < na ? 0 : 1;
            for (long t = 0; t < total; t++) {
                x.set(task[row], row, t, 3);
                if (t < contextSteps) {
                    continue;
                }
                for (int c = 0; c < 3; c++) {
                    x.set(d.inputs().get(trial, t - contextSteps, c), row, t, c);
                    y.set(d.targets().get(trial, t - contextSteps, c), row, t, c);
                }
            }
        }
        if (noise) {
            double sd = 0.1 * Math.sqrt(2);
            for (int row = 0; row < n; row++) {
                for (long t = 0; t < total; t++) {
                    for (int c = 0; c < 4; c++) {
                        if (c == 3 || t < contextSteps) {
                            x.set(x.get(row, t, c) + sd * rng.nextGaussian(), row, t, c);
                        }
                    }
                }
            }
        }
        return new MultiTaskData(x, y, task);
    }

    /**
     * memory_pro and memory_pro_anti under a rule input ({@link #mix}): {@code trials} / 2 of each,
     * T = contextSteps + 3 periods; kpflow's default is T = 120 with a 30-step context.
     */
    public static MultiTaskData multiMemoryPro(int trials, int steps, boolean noise, long seed, Arena arena) {
        if (trials < 2 || trials % 2 != 0 || steps < 4 || steps % 4 != 0) {
            throw new InvalidInputException("multi_memory_pro needs an even number of trials and T a multiple of 4 "
                    + "(a context of T/4, then memory_pro's three periods), got " + trials + " trials, T = " + steps);
        }
        int context = steps / 4;
        Data pro = memoryPro(trials / 2, steps - context, false, noise, seed, arena);
        Data anti = memoryPro(trials / 2, steps - context, true, noise, seed + 1, arena);
        return mix(pro, anti, context, noise, seed + 2, arena);
    }

    /** The 3-bit flip-flop with pulse rate 1/nSpike per step and channel. */
    public static Data flipFlop(int trials, int steps, int nSpike, boolean noise, long seed, Arena arena) {
        if (nSpike < 1) {
            throw new InvalidInputException("nSpike must be >= 1, got " + nSpike);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor x = Tensor.allocate(arena, trials, steps, 3), y = Tensor.allocate(arena, trials, steps, 3);
        int[] order = new int[trials];
        for (int d = 0; d < 3; d++) {
            for (int t = 0; t < steps; t++) {
                int count = (int) Math.min(trials, poisson((double) trials / nSpike, rng));
                // `count` distinct trials: a partial Fisher-Yates shuffle.
                for (int i = 0; i < trials; i++) {
                    order[i] = i;
                }
                for (int i = 0; i < count; i++) {
                    int j = i + rng.nextInt(trials - i);
                    int tmp = order[i];
                    order[i] = order[j];
                    order[j] = tmp;
                    x.set(rng.nextBoolean() ? 1 : -1, order[i], t, d);
                }
            }
            for (int b = 0; b < trials; b++) {
                double keep = 0;
                for (int t = 0; t < steps; t++) {
                    double p = x.get(b, t, d);
                    if (p != 0) {
                        keep = p;
                    }
                    y.set(keep, b, t, d);
                }
            }
        }
        if (noise) {
            addNoise(x, 0.03 * Math.sqrt(2), rng);
        }
        return new Data(x, y);
    }

    /** Context-dependent integration (our convention, see the class documentation). */
    public static Data contextIntegration(int trials, int steps, boolean noise, long seed, Arena arena) {
        if (steps % 3 != 0) {
            throw new InvalidInputException(
                    "context_integration has a stimulus of 2T/3 and a response of T/3 steps: T must "
                            + "be a multiple of 3, got " + steps);
        }
        int responseStart = 2 * steps / 3;
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor x = Tensor.allocate(arena, trials, steps, 4), y = Tensor.allocate(arena, trials, steps, 1);
        for (int b = 0; b < trials; b++) {
            double[] coh = {coherence(rng), coherence(rng)};
            int ctx = rng.nextInt(2);
            for (int t = 0; t < steps; t++) {
                x.set(ctx == 0 ? 1 : 0, b, t, 2);
                x.set(ctx == 1 ? 1 : 0, b, t, 3);
                if (t < responseStart) {
                    for (int ch = 0; ch < 2; ch++) {
                        x.set(coh[ch] + (noise ? rng.nextGaussian() : 0), b, t, ch);
                    }
                } else {
                    y.set(Math.signum(coh[ctx]), b, t, 0);
                }
            }
        }
        return new Data(x, y);
    }

    private static double coherence(SplittableRandom rng) {
        double c;
        do {
            c = 0.4 * rng.nextDouble() - 0.2;
        } while (Math.abs(c) < 0.01);
        return c;
    }

    private static void addNoise(Tensor x, double sd, SplittableRandom rng) {
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, x.getFlat(i) + sd * rng.nextGaussian());
        }
    }

    /** A Poisson(lambda) draw: Knuth's product method on chunks of lambda <= 500 (exp(-500) is a normal double). */
    static long poisson(double lambda, SplittableRandom rng) {
        long total = 0;
        double rest = lambda;
        while (rest > 0) {
            double chunk = Math.min(rest, 500);
            rest -= chunk;
            double limit = Math.exp(-chunk), p = 1;
            long k = -1;
            do {
                k++;
                p *= rng.nextDouble();
            } while (p > limit);
            total += k;
        }
        return total;
    }
}
