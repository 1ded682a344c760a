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
import io.ntk4j.spectral.RankOptions;
import io.ntk4j.spectral.SpectrumAnalysis;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
    private final int stateWidth;
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
            int stateWidth,
            int partitions) {
        this.sc = sc;
        this.spec = spec;
        this.shards = shards;
        this.batch = batch;
        this.steps = steps;
        this.numParams = numParams;
        this.stateWidth = stateWidth;
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
        return new DistributedSession(sc, spec, rdd, b, t, model.numParams(), model.stateWidth(), partitions);
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

    /**
     * NTK_S = (P J_theta)(P J_theta)^T itself, symmetric on R^(B T W) (W = the state width), for
     * the state-space estimators that need it ({@link #analyze}): one apply is two Spark jobs, the
     * block [k, B T W] broadcast and each shard's J_s^T w_s summed exactly (as {@link #parameterGram}),
     * then that [k, n_params] sum broadcast and each shard's rows P_s J_s a collected. Unlike G's
     * apply this moves state-space blocks (2 k B T W doubles to and from the driver, which holds
     * them): it is for batches whose probe blocks fit the driver's memory.
     */
    public LinearOperator stateNtk() {
        check();
        long n = Math.multiplyExact(Math.multiplyExact(batch, steps), (long) stateWidth);
        return LinearOperator.symmetric(n, (in, out) -> {
            int k = Math.toIntExact(in.size() / n);
            double[] a = aggregate(in.toArray(), k, Math.toIntExact(n), true);
            MemorySegment.copy(
                    forward(a, k), 0, out.segment(), ValueLayout.JAVA_DOUBLE, 0, Math.toIntExact(out.size()));
        });
    }

    /**
     * NTK_S's top eigenpairs with their eigenvectors in state space, [k, B T W]: G's eigenvectors
     * v_i (Lanczos on the driver, as {@link #top}) mapped to u_i = P J v_i / ||P J v_i|| by one
     * Spark job, as the single-machine {@link Eigs#topOfGram} maps them (its residuals are G's).
     */
    public EigenResult topInStateSpace(EigsOptions o) {
        EigenResult r = top(o.withVectors(true));
        int k = r.values().length;
        double[] u = forward(r.vectors().toArray(), k);
        int n = u.length / k;
        for (int i = 0; i < k; i++) {
            double ss = 0;
            for (int j = 0; j < n; j++) {
                ss += u[i * n + j] * u[i * n + j];
            }
            double norm = Math.sqrt(ss);
            for (int j = 0; j < n; j++) {
                u[i * n + j] /= norm;
            }
        }
        Tensor vectors = Tensor.of(Arena.ofAuto(), u, k, n);
        return new EigenResult(
                r.values(),
                r.residuals(),
                vectors,
                r.converged(),
                r.blockApplies() + 1,
                r.vectorApplies() + (k + 1) / 2,
                r.restarts(),
                r.block(),
                r.basis());
    }

    /**
     * {@code spectrum}'s analysis of NTK_S across the shards: the top eigenpairs
     * ({@link #topInStateSpace}), then the effective ranks, the true partial dimensions and kpflow's
     * partial dimensions by the single-machine estimators ({@link SpectrumAnalysis#ofTop}) on
     * {@link #stateNtk()}, deflated by those eigenvectors and seeded by {@code ranks}: the same
     * numbers as {@code SpectrumAnalysis.run} on one session, to round-off.
     */
    public SpectrumAnalysis.Result analyze(EigsOptions o, RankOptions ranks) {
        // The driver's heap holds a probe block [16, B T W] about four times over (the block, its
        // broadcast, the shards' gathered rows, the assembled image): refuse what cannot fit, before
        // any work, rather than fail with an OutOfMemoryError half-way.
        long block = Math.max(16, o.k()), need = 4 * 8 * block * batch * steps * stateWidth;
        long heap = Runtime.getRuntime().maxMemory();
        if (need > heap / 2) {
            throw new InvalidInputException(String.format(
                    "the state-space rank estimators need about %.1f GiB of driver heap for probe blocks [%d, %d]"
                            + " but the driver has %.1f GiB: raise spark.driver.memory, or use the parameter-space"
                            + " Hutch++ estimate (ranks(probes, seed); spectrum --spark-probes N)",
                    need / 1073741824.0, block, batch * steps * stateWidth, heap / 1073741824.0));
        }
        EigenResult top = topInStateSpace(o);
        long w = stateWidth;
        return SpectrumAnalysis.ofTop(
                SpectrumAnalysis.Target.NTK, stateNtk(), top, batch, steps, w, ranks, o.vectors());
    }

    /** NTK_S's top eigenvalues (and G's eigenvectors in parameter space, with {@code withVectors}). */
    public EigenResult top(EigsOptions o) {
        return Eigs.top(parameterGram(), o);
    }

    private double[] apply(double[] x, int k) {
        return aggregate(x, k, Math.toIntExact(numParams), false);
    }

    /**
     * The sum over shards of J_s^T (J_s x) ({@code state} false: x is [k, n_params]) or of
     * J_s^T x_s ({@code state} true: x is [k, B T W] and x_s the shard's rows), by a tree aggregate
     * in double-double: one Spark job, the same bits however tasks finish.
     */
    private double[] aggregate(double[] x, int k, int n, boolean state) {
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
                        Session s = ShardSessions.get(key, shard, model);
                        return acc.add(
                                state
                                        ? ShardOps.adjoint(s, shard, block.value(), k, n, p)
                                        : ShardOps.gram(s, block.value(), k, p));
                    },
                    ExactSum::merge,
                    2);
            applies.incrementAndGet();
            long shipped = state ? (long) k * n + 2L * partitions * k * p : 3L * partitions * k * p;
            bytesMoved.addAndGet(shipped * 8);
            return sum.value();
        } catch (Exception e) { // Spark's SparkException is checked but thrown undeclared from Scala
            throw failed("the distributed apply", e);
        } finally {
            sc.clearJobGroup();
            block.destroy();
        }
    }

    /** P J a for parameter blocks a [k, n_params]: each shard's rows, gathered as [k, B T W]. */
    private double[] forward(double[] a, int k) {
        check();
        String key = id;
        ModelSpec model = spec;
        int p = Math.toIntExact(numParams);
        long width = stateWidth, rows = batch * steps * width;
        Broadcast<double[]> block = sc.broadcast(a);
        sc.setJobGroup(key, "ntk4j P J apply", false);
        try {
            List<scala.Tuple2<Shard, double[]>> parts = shards.map(shard -> {
                        ShardSessions.injectedFault(shard);
                        Session s = ShardSessions.get(key, shard, model);
                        return new scala.Tuple2<>(
                                ShardOps.withoutInputs(shard), ShardOps.forward(s, block.value(), k, p));
                    })
                    .collect();
            double[] y = new double[Math.toIntExact(k * rows)];
            for (scala.Tuple2<Shard, double[]> part : parts) {
                int len = part._2().length / k;
                long offset = (long) part._1().first() * steps * width;
                for (int i = 0; i < k; i++) {
                    System.arraycopy(part._2(), i * len, y, Math.toIntExact(i * rows + offset), len);
                }
            }
            bytesMoved.addAndGet(8L * (partitions * (long) k * p + k * rows));
            return y;
        } catch (Exception e) {
            throw failed("the distributed apply", e);
        } finally {
            sc.clearJobGroup();
            block.destroy();
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
