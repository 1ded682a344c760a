package io.ntk4j.spark;

import io.ntk4j.CellKind;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code ./ntk4j spark-bench}: the batch-sharded NTK_S apply in Spark's local mode (issue 16, item
 * 4). Strong scaling: one problem (B = 64, T = 100, H = 128, rnn_leaky, 4 shards) on local[1] and
 * local[2]; weak scaling: B = 32 per core; traffic: the bytes Spark reports per apply and shard for
 * T and the shard's trials varied. Times are medians of block applies (k = 8) after one warm-up
 * apply that unrolls the shards; the single-machine apply of the same block is the reference.
 */
public final class ScalingBench {
    private ScalingBench() {}

    static Model leaky(int h, int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : Model.parameterNames(false)) {
            double[] v = new double[(int) Tensor.elementCount(Model.parameterShape(CellKind.RNN_LEAKY, h, n, name))];
            double scale = name.equals("weight_hh") ? 1.2 / Math.sqrt(h) : 1 / Math.sqrt(n);
            for (int i = 0; i < v.length; i++) {
                v[i] = scale * rng.nextGaussian();
            }
            p.put(name, v);
        }
        return Model.of(CellKind.RNN_LEAKY, h, n, 0.2, false, p);
    }

    record Run(double distributedSeconds, double localSeconds, double bytesPerShard) {}

    static Run run(JavaSparkContext sc, int b, int t, int h, int parts, int k, int repeats) {
        Model m = leaky(h, 3, 5);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 9, 1.0, b, t, 3);
            int p = (int) m.numParams();
            Tensor v = Tensor.gaussian(arena, 3, 1.0, k, p);
            double[] dist = new double[repeats], loc = new double[repeats];
            double bytes;
            try (DistributedSession d = DistributedSession.open(sc, m, x, parts)) {
                LinearOperator g = d.parameterGram();
                g.apply(v, arena); // warm-up: every shard unrolls its trials once
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    g.apply(v, arena);
                    dist[r] = (System.nanoTime() - t0) / 1e9;
                }
                Thread.sleep(500); // the listener bus reports task metrics shortly after each job
                bytes = (double) d.measuredBytes() / (d.applies() * (double) parts);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try (Session s = Session.open(m, x);
                    LinearOperator j = s.P().compose(s.jtheta())) {
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    Tensor z = Tensor.allocate(arena, k, p);
                    j.applyAdjoint(j.apply(v, arena), z);
                    loc[r] = (System.nanoTime() - t0) / 1e9;
                }
            }
            return new Run(median(dist), median(loc), bytes);
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    private static JavaSparkContext context(int cores) {
        return new JavaSparkContext(new SparkConf()
                .setMaster("local[" + cores + "]")
                .setAppName("ntk4j spark-bench")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false"));
    }

    public static void main(String[] args) {
        int repeats = 5, k = 8;
        System.out.println(
                "| run | cores | B | T | H | shards | apply (s, Spark) | apply (s, one session) | bytes/apply/shard |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (int cores = 1; cores <= 2; cores++) {
            JavaSparkContext sc = context(cores);
            try {
                row("strong", cores, 64, 100, 128, 4, run(sc, 64, 100, 128, 4, k, repeats));
                row(
                        "weak",
                        cores,
                        32 * cores,
                        100,
                        128,
                        2 * cores,
                        run(sc, 32 * cores, 100, 128, 2 * cores, k, repeats));
                if (cores == 2) {
                    for (int t : new int[] {50, 200}) {
                        row("traffic", cores, 32, t, 128, 2, run(sc, 32, t, 128, 2, k, 3));
                    }
                    row("traffic", cores, 64, 100, 128, 2, run(sc, 64, 100, 128, 2, k, 3));
                }
            } finally {
                sc.stop();
            }
        }
        System.out.printf(
                Locale.ROOT,
                "k = %d probes per block; n_params = H (H + N) = %d for H = 128, N = 3: a block is %d bytes%n",
                k,
                128 * 131,
                8L * k * 128 * 131);
    }

    private static void row(String what, int cores, int b, int t, int h, int parts, Run r) {
        System.out.printf(
                Locale.ROOT,
                "| %s | %d | %d | %d | %d | %d | %.4f | %.4f | %.0f |%n",
                what,
                cores,
                b,
                t,
                h,
                parts,
                r.distributedSeconds(),
                r.localSeconds(),
                r.bytesPerShard());
    }
}
