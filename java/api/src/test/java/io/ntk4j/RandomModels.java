package io.ntk4j;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny random models of each cell for identity tests. */
final class RandomModels {
    private RandomModels() {}

    static Model model(CellKind cell, boolean bias, int h, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(bias)) {
            double[] v = new double[Math.toIntExact(Tensor.elementCount(Model.parameterShape(cell, h, n, name)))];
            double scale = name.equals("weight_hh") ? 1.3 / Math.sqrt(h) : 1 / Math.sqrt(n);
            for (int i = 0; i < v.length; i++) {
                v[i] = scale * rng.nextGaussian();
            }
            p.put(name, v);
        }
        return Model.of(cell, h, n, 0.3, bias, p);
    }

    static Tensor gaussian(Arena arena, long seed, long... shape) {
        return Tensor.gaussian(arena, seed, 1.0, shape);
    }

    static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (long i = 0; i < a.size(); i++) {
            s += a.getFlat(i) * b.getFlat(i);
        }
        return s;
    }
}
