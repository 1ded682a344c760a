package io.ntk4j.bench;

import io.ntk4j.CellKind;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** The seeded models and data the benchmarks run on, and the timing of their applies. */
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

    /**
     * The attention_mlp block at kpflow's default sizes (d_model 64, 4 heads, an MLP of 3 layers of
     * 128, d_output 1) with d_input 16 and a positional table of T = 50 tokens.
     */
    public static io.ntk4j.AttentionMlpConfig attentionConfig() {
        return new io.ntk4j.AttentionMlpConfig(16, 64, 4, 128, 3, 1, 50, true, false);
    }

    /** That block with PyTorch's default initialization distributions (seed 1). */
    public static Model attention(io.ntk4j.AttentionMlpConfig cfg) {
        return io.ntk4j.experiments.AttentionRank.initialize(cfg, 1);
    }

    /**
     * GEMM flops of one NTK_S apply of the block on one probe of B sequences: per token, P and P*
     * each apply the 4 D x D maps, the MLP's and 4 attention products (8 T D flops); K two products
     * per weight site (rows x dim).
     */
    public static double attentionNtkFlops(io.ntk4j.AttentionMlpConfig c, int batch) {
        double d = c.dModel(), hm = c.mlpHidden(), t = c.maxSeqLen(), o = c.dOutput();
        double tangent = 2.0 * (4 * d * d + d * hm + (c.mlpLayers() - 2) * hm * hm + hm * o) + 8.0 * t * d;
        double sites = d * (c.dInput() + 1 + t) + 4.0 * d * d + d * hm + (c.mlpLayers() - 2) * hm * hm + hm * o;
        return batch * t * (2 * tangent + 4 * sites);
    }

    /** N(0, 1) entries of the given shape. */
    public static Tensor gaussian(Arena arena, long seed, long... shape) {
        return Tensor.gaussian(arena, seed, 1.0, shape);
    }
    /** The best of {@code repeats} timed applies of {@code a} (after one untimed warm-up), in seconds. */
    public static double bestApply(LinearOperator a, Tensor q, Tensor y, int repeats) {
        a.apply(q, y);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            a.apply(q, y);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }
}
