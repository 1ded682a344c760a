package io.ntk4j.bench;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** The seeded models and data the benchmarks run on (rnn_leaky, N(0, 1/fan-in) weights). */
public final class BenchModels {
    private BenchModels() {}

    /** A bias-free rnn_leaky with W_ih ~ N(0, 1/N), W_hh ~ N(0, 1/H). */
    public static Model leaky(int h, int n, double dt, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] wih = new double[h * n], whh = new double[h * h];
        for (int i = 0; i < wih.length; i++) {
            wih[i] = rng.nextGaussian() / Math.sqrt(n);
        }
        for (int i = 0; i < whh.length; i++) {
            whh[i] = rng.nextGaussian() / Math.sqrt(h);
        }
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", wih);
        p.put("weight_hh", whh);
        return Model.of(CellKind.RNN_LEAKY, h, n, dt, false, p);
    }

    /** N(0, 1) entries of the given shape. */
    public static Tensor gaussian(Arena arena, long seed, long... shape) {
        return Tensor.gaussian(arena, seed, 1.0, shape);
    }
}
