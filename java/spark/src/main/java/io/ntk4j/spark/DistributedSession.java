package io.ntk4j.spark;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Ntk4jException;
import io.ntk4j.NumericalException;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * NTK_S of one batch split across Spark executors by trials (issue 16): each partition holds a
 * shard of trials and, on its executor, that shard's session (its trajectory). P and P* act on
 * each trial alone and the parameters are shared, so with J_s = P_s J_theta,s the shards couple
 * only through parameter space:
 *
 * <pre>  G = (P J_theta)^T (P J_theta) = sum_s J_s^T J_s   (n_params x n_params)</pre>
 *
 * has the nonzero eigenvalues of NTK_S = (P J_theta)(P J_theta)^T (DESIGN.md, "Operators"). One
 * block apply of G is one Spark job: the block [k, n_params] is broadcast, each shard computes
 * J_s^T (J_s x) on its executor, and the parts are summed by a tree aggregate: k * n_params
 * doubles move per shard and per direction, independent of T and of the shard's trials. The
 * eigen-solvers run on the driver against {@link #parameterGram()}, like any operator.
 *
 * {@snippet :
 * try (DistributedSession d = DistributedSession.open(sc, model, inputs, 4)) {
 *   EigenResult top = d.top(EigsOptions.top(10));   // NTK_S's top 10 eigenvalues
 * }
 * }
 */
public final class DistributedSession implements AutoCloseable {
    private final JavaSparkContext sc;
    private final String id = UUID.randomUUID().toString();
    private final ModelSpec spec;
    private final JavaRDD<Shard> shards;
    private final long batch;
    private final long steps;
    private final long numParams;
    private final int partitions;
    private final AtomicLong applies = new AtomicLong();
    private final AtomicLong bytesMoved = new AtomicLong();
    private final TrafficMeter meter;
    private boolean closed;

    private DistributedSession(
            JavaSparkContext sc,
            ModelSpec spec,
            JavaRDD<Shard> shards,
            long batch,
            long steps,
            long numParams,
            int partitions) {
        this.sc = sc;
        this.spec = spec;
        this.shards = shards;
        this.batch = batch;
        this.steps = steps;
        this.numParams = numParams;
        this.partitions = partitions;
        this.meter = new TrafficMeter(id);
        sc.sc().addSparkListener(meter);
    }

    /**
     * Splits {@code inputs} [B, T, N] into {@code partitions} shards of consecutive trials (sizes
     * differing by at most one) and distributes them; each executor unrolls its shards on first use.
     */
    public static DistributedSession open(JavaSparkContext sc, Model model, Tensor inputs, int partitions) {
        if (inputs.rank() != 3) {
            throw new InvalidInputException("inputs must be [B, T, N], got rank " + inputs.rank());
        }
        long b = inputs.dim(0), t = inputs.dim(1), n = inputs.dim(2);
        if (n != model.inputSize()) {
            throw new InvalidInputException("inputs have N = " + n + " but the model " + model.inputSize());
        }
        if (partitions < 1 || partitions > b) {
            throw new InvalidInputException(
                    "partitions must be in 1.." + b + " (one trial at least per shard), got " + partitions);
        }
        ModelSpec spec = ModelSpec.of(model);
        List<Shard> list = new ArrayList<>();
        long per = b / partitions, extra = b % partitions, first = 0;
        for (int i = 0; i < partitions; i++) {
            int trials = Math.toIntExact(per + (i < extra ? 1 : 0));
            double[] x = inputs.segment()
                    .asSlice(first * t * n * Double.BYTES, trials * t * n * Double.BYTES)
                    .toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE);
            list.add(new Shard(i, (int) first, trials, (int) t, (int) n, x));
            first += trials;
        }
        JavaRDD<Shard> rdd = sc.parallelize(list, partitions).persist(StorageLevel.MEMORY_ONLY());
        return new DistributedSession(sc, spec, rdd, b, t, model.numParams(), partitions);
    }

    public long batch() {
        return batch;
    }

    public long steps() {
        return steps;
    }

    public long numParams() {
        return numParams;
    }

    public int partitions() {
        return partitions;
    }

    /** Block applies of {@link #parameterGram()} so far (one Spark job each). */
    public long applies() {
        return applies.get();
    }

    /**
     * Bytes moved by those applies, counted as the blocks shipped: the broadcast block once per
     * shard and each shard's part of the sum back (as double-double, {@link ExactSum}), 8 bytes a
     * double; Spark's framing is not counted.
     */
    public long bytesMoved() {
        return bytesMoved.get();
    }

    /**
     * Bytes Spark reports for these applies, from its task metrics: serialized task results to the
     * driver plus shuffle writes (the listener bus delivers them asynchronously, shortly after each
     * job; {@link #bytesMoved()} is the exact count of what is sent by design).
     */
    public long measuredBytes() {
        return meter.resultBytes() + meter.shuffleBytes();
    }

    /** G = (P J_theta)^T (P J_theta), symmetric on R^n_params, applied across the shards. */
    public LinearOperator parameterGram() {
        check();
        int p = Math.toIntExact(numParams);
        return LinearOperator.symmetric(p, (in, out) -> {
            int k = Math.toIntExact(in.size() / p);
            double[] g = apply(in.toArray(), k);
            for (int i = 0; i < g.length; i++) {
                out.setFlat(i, g[i]);
            }
        });
    }

    /**
     * Hutch++ estimates of tr NTK_S, tr NTK_S^2 and the effective rank PR = (tr)^2 / tr(^2), with
     * standard errors, from {@code probes} applies of G: G and NTK_S share their nonzero spectrum, so
     * these are NTK_S's traces, probed in parameter space (n_params entries per probe, not B T H).
     */
    public io.ntk4j.spectral.TraceEstimates ranks(long probes, long seed) {
        return io.ntk4j.spectral.Traces.estimate(parameterGram(), probes, seed);
    }

    /** NTK_S's top eigenvalues (and G's eigenvectors in parameter space, with {@code withVectors}). */
    public EigenResult top(EigsOptions o) {
        return Eigs.top(parameterGram(), o);
    }

    private double[] apply(double[] x, int k) {
        check();
        String key = id;
        ModelSpec model = spec;
        int p = Math.toIntExact(numParams);
        Broadcast<double[]> block = sc.broadcast(x);
        sc.setJobGroup(key, "ntk4j NTK_S apply", false);
        try {
            ExactSum sum = shards.treeAggregate(
                    new ExactSum(k * p),
                    (acc, shard) -> {
                        ShardSessions.injectedFault(shard);
                        return acc.add(shardGram(ShardSessions.get(key, shard, model), block.value(), k, p));
                    },
                    ExactSum::merge,
                    2);
            applies.incrementAndGet();
            bytesMoved.addAndGet((long) partitions * k * p * 8 * 3);
            return sum.value();
        } catch (Exception e) { // Spark's SparkException is checked but thrown undeclared from Scala
            throw failed("the distributed apply", e);
        } finally {
            sc.clearJobGroup();
            block.destroy();
        }
    }

    /** J_s^T (J_s x) for one shard's session, J_s = P_s J_theta,s; x is [k, n_params]. */
    static double[] shardGram(Session s, double[] x, int k, int p) {
        try (Arena arena = Arena.ofConfined();
                LinearOperator j = s.P().compose(s.jtheta())) {
            Tensor in = Tensor.of(arena, x, k, p);
            Tensor y = j.apply(in, arena);
            Tensor z = Tensor.allocate(arena, k, p);
            j.applyAdjoint(y, z);
            return z.toArray();
        }
    }

    /**
     * A failed Spark job as ntk4j's exception: the executor's own exception, when it came back in
     * the chain, keeps its type (bad input stays InvalidInputException: exit 2) and message, after
     * {@code what} failed; one raised on the driver itself passes unchanged.
     */
    static Ntk4jException failed(String what, Exception e) {
        if (e instanceof Ntk4jException n) {
            return n;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof Ntk4jException n) {
                String message = what + " failed: " + n.getMessage();
                if (n instanceof InvalidInputException) {
                    return new InvalidInputException(message, n.status(), e);
                }
                if (n instanceof NumericalException) {
                    NumericalException x = new NumericalException(message, n.status());
                    x.addSuppressed(e); // its constructor fixes the cause; the Spark chain is kept here
                    return x;
                }
                return new Ntk4jException(message, n.status(), e);
            }
        }
        return new Ntk4jException(what + " failed: " + e.getMessage(), 0, e);
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("the distributed session is closed");
        }
    }

    /** Closes the shards' sessions on every executor and drops the cached shards. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        String key = id;
        shards.foreachPartition(it -> ShardSessions.release(key));
        shards.unpersist(false);
        sc.sc().removeSparkListener(meter);
    }
}
