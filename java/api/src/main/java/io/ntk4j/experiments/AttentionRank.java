package io.ntk4j.experiments;

import io.ntk4j.AttentionMlpConfig;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The Global-NTK paper's attention experiment (kpflow {@code examples/transformer_validation},
 * panel B): the temporal effective rank of the NTK of a freshly initialized self-attention block
 * against the input dimension, for several batch sizes, beside the effective dimension of the
 * inputs. For each batch size B and input dimension d: a block with d_input = d (PyTorch's default
 * initialization distributions, {@link #initialize}), inputs x ~ N(0, 1) of shape [B, T, d], and
 * <ul>
 *   <li>the temporal operator M = the feature average of NTK_S, M[(b,t),(b',t')] =
 *       (1/S) sum_{i,i'} NTK_S[(b,t,i),(b',t',i')] on the B*T tokens (kpflow's
 *       {@code partial_avg(-1)}), computed exactly with B*T applies of NTK_S on the probes
 *       e_(b,t) (x) 1_S, and its effective rank (tr M)^2 / tr(M^2) (kpflow's
 *       {@code effrank(grammian=False)}, here exact rather than sampled);</li>
 *   <li>the effective dimension of the inputs, (tr X X^T)^2 / ||X X^T||_F^2 for X the [B*T, d]
 *       matrix of inputs.</li>
 * </ul>
 * Both are at most B*T. The paper's claim: the NTK's temporal rank is low and follows the input's
 * effective dimension (it cannot exceed what the inputs span).
 */
public final class AttentionRank {
    private AttentionRank() {}

    /**
     * @param block the block's sizes but d_input (taken from {@code inputDims})
     */
    public record Config(
            AttentionMlpConfig block, List<Integer> batches, int steps, List<Integer> inputDims, long seed) {
        public Config {
            if (batches.isEmpty() || inputDims.isEmpty()) {
                throw new InvalidInputException("attention rank experiment: no batch sizes or input dimensions");
            }
            for (int b : batches) {
                if (b <= 0) {
                    throw new InvalidInputException("batch sizes must be > 0, got " + b);
                }
            }
            for (int d : inputDims) {
                if (d <= 0) {
                    throw new InvalidInputException("input dimensions must be > 0, got " + d);
                }
            }
            if (steps <= 0) {
                throw new InvalidInputException("T must be > 0, got " + steps);
            }
            if (block.positional() && steps > block.maxSeqLen()) {
                throw new InvalidInputException("T = " + steps + " is longer than the positional table (max_seq_len = "
                        + block.maxSeqLen() + ")");
            }
            batches = List.copyOf(batches);
            inputDims = List.copyOf(inputDims);
        }

        /** kpflow's panel B: B in {5, 10, 15}, T = 50, 50 input dimensions from 1 to 1000, its default block. */
        public static Config paper() {
            List<Integer> dims = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                dims.add((int) (1 + i * (999.0 / 49))); // numpy.linspace(1, 1000, 50).astype(int)
            }
            return new Config(
                    new AttentionMlpConfig(1, 64, 4, 128, 3, 1, 256, true, false), List.of(5, 10, 15), 50, dims, 1);
        }
    }

    /** One (B, d_input) point. */
    public record Point(
            int batch,
            int inputDim,
            double temporalEffectiveRank,
            double inputEffectiveDim,
            long applies,
            double seconds) {}

    /** Runs every point, B-major, reporting each as it completes. */
    public static List<Point> run(Config c, Consumer<Point> progress) {
        List<Point> points = new ArrayList<>();
        for (int b : c.batches()) {
            for (int d : c.inputDims()) {
                long t0 = System.nanoTime();
                long seed = c.seed() * 1_000_003L + 7919L * b + d;
                AttentionMlpConfig cfg = new AttentionMlpConfig(
                        d,
                        c.block().dModel(),
                        c.block().heads(),
                        c.block().mlpHidden(),
                        c.block().mlpLayers(),
                        c.block().dOutput(),
                        c.block().maxSeqLen(),
                        c.block().positional(),
                        c.block().causal());
                Model m = initialize(cfg, seed);
                try (Arena arena = Arena.ofConfined()) {
                    Tensor x = Tensor.gaussian(arena, seed + 1, 1.0, b, c.steps(), d);
                    double[][] mt;
                    try (Session s = Session.open(m, x)) {
                        mt = featureAverage(s.ntk(), s.stateShape());
                    }
                    Point p = new Point(
                            b,
                            d,
                            participationRatio(mt),
                            participationRatio(gramOfRows(x.toArray(), b * c.steps(), d)),
                            (long) b * c.steps(),
                            (System.nanoTime() - t0) / 1e9);
                    points.add(p);
                    progress.accept(p);
                }
            }
        }
        return points;
    }

    /**
     * A block initialized with PyTorch's default distributions (not its random stream): every
     * {@code nn.Linear} weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the positional table
     * ~ 0.02 N(0, 1) (kpflow's {@code SingleBlockAttnMLP}).
     */
    public static Model initialize(AttentionMlpConfig cfg, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : cfg.parameterNames()) {
            long[] shape = cfg.parameterShape(name);
            double[] v = new double[Math.toIntExact(Tensor.elementCount(shape))];
            if (name.equals("pos_embedding")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = 0.02 * rng.nextGaussian();
                }
            } else {
                long fanIn = name.equals("input_proj.bias") ? cfg.dInput() : shape[shape.length - 1];
                double bound = 1.0 / Math.sqrt(fanIn);
                for (int i = 0; i < v.length; i++) {
                    v[i] = bound * (2 * rng.nextDouble() - 1);
                }
            }
            p.put(name, v);
        }
        return Model.attentionMlp(cfg, p);
    }

    /**
     * M[r, r'] = (1/S) sum_{i,i'} A[(r,i),(r',i')] for A on {@code shape} = [..., S] (R tokens, the
     * leading axes flattened, of width S), exactly:
     * A applied to the probes e_r (x) 1_S, 16 at a time, each output summed over its features.
     */
    public static double[][] featureAverage(LinearOperator a, long[] shape) {
        long width = shape[shape.length - 1], n = Tensor.elementCount(shape), tokens = n / width;
        if (a.rows() != n || a.cols() != n) {
            throw new InvalidInputException("feature average over " + java.util.Arrays.toString(shape)
                    + " needs an operator of dimension " + n + ", got " + a.rows() + " x " + a.cols());
        }
        long[] block = new long[shape.length + 1];
        System.arraycopy(shape, 0, block, 1, shape.length);
        int r = Math.toIntExact(tokens), w = Math.toIntExact(width);
        double[][] m = new double[r][r];
        int chunk = 16;
        try (Arena arena = Arena.ofConfined()) {
            Tensor e = null, y = null; // reused: one pair per chunk size (the last chunk may be shorter)
            for (int r0 = 0; r0 < r; r0 += chunk) {
                int k = Math.min(chunk, r - r0);
                if (e == null || e.dim(0) != k) {
                    block[0] = k;
                    e = Tensor.allocate(arena, block);
                    y = Tensor.allocate(arena, block);
                } else {
                    e.segment().fill((byte) 0);
                }
                for (int j = 0; j < k; j++) {
                    long base = ((long) j * r + r0 + j) * w;
                    for (int i = 0; i < w; i++) {
                        e.setFlat(base + i, 1.0);
                    }
                }
                a.apply(e, y);
                for (int j = 0; j < k; j++) {
                    for (int t = 0; t < r; t++) {
                        double sum = 0;
                        long base = ((long) j * r + t) * w;
                        for (int i = 0; i < w; i++) {
                            sum += y.getFlat(base + i);
                        }
                        m[t][r0 + j] = sum / w;
                    }
                }
            }
        }
        return m;
    }

    /** X X^T for X [rows, cols] row-major. */
    static double[][] gramOfRows(double[] x, int rows, int cols) {
        double[][] g = new double[rows][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += x[i * cols + c] * x[j * cols + c];
                }
                g[i][j] = s;
                g[j][i] = s;
            }
        }
        return g;
    }

    /** (tr M)^2 / tr(M M^T) of a symmetric matrix M: its participation ratio. */
    public static double participationRatio(double[][] m) {
        double tr = 0, f = 0;
        for (int i = 0; i < m.length; i++) {
            tr += m[i][i];
            for (int j = 0; j < m.length; j++) {
                f += m[i][j] * m[i][j];
            }
        }
        if (!(f > 0) || !Double.isFinite(f)) {
            throw new NumericalException(
                    "the matrix is zero or not finite (||M||_F^2 = " + f + "): no effective rank", 0);
        }
        return tr * tr / f;
    }
}
