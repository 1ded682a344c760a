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

    /** An lstm with biases: W_ih ~ N(0, 1/N), W_hh ~ N(0, 1/H), biases ~ N(0, 0.01). */
    public static Model lstm(int h, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(true)) {
            long[] shape = Model.parameterShape(CellKind.LSTM, h, n, name);
            double scale =
                    name.equals("weight_ih") ? 1 / Math.sqrt(n) : name.equals("weight_hh") ? 1 / Math.sqrt(h) : 0.1;
            double[] v = new double[Math.toIntExact(Tensor.elementCount(shape))];
            for (int i = 0; i < v.length; i++) {
                v[i] = scale * rng.nextGaussian();
            }
            p.put(name, v);
        }
        return Model.of(CellKind.LSTM, h, n, 1.0, true, p);
    }

    /** N(0, 1) entries of the given shape. */
    public static Tensor gaussian(Arena arena, long seed, long... shape) {
        return Tensor.gaussian(arena, seed, 1.0, shape);
    }
}
