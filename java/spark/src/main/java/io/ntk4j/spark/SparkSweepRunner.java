package io.ntk4j.spark;

import io.ntk4j.Model;
import io.ntk4j.Tensor;
import io.ntk4j.experiments.Sweep;
import io.ntk4j.spectral.SpectrumAnalysis;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.Arena;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * A sweep's points as Spark tasks ({@code ./ntk4j sweep --spark MASTER}): the inputs are broadcast
 * once, each point is a one-task job running {@link Sweep#analyze} on an executor — the same code
 * and inputs as the local sweep, so the same numbers — and the driver's sweep writes points.jsonl
 * as the jobs finish (resumable exactly like the local sweep). Jobs are submitted from the sweep's
 * threads, up to the cluster's default parallelism at once.
 */
public final class SparkSweepRunner implements Sweep.Runner {
    private final JavaSparkContext sc;
    private final boolean ownContext;
    private final Broadcast<double[]> inputs;
    private final long[] shape;

    SparkSweepRunner(JavaSparkContext sc, boolean ownContext, Tensor x) {
        this.sc = sc;
        this.ownContext = ownContext;
        this.inputs = sc.broadcast(x.toArray());
        this.shape = x.shape();
    }

    /** A runner on an existing context (the caller stops it). */
    public static SparkSweepRunner on(JavaSparkContext sc, Tensor inputs) {
        return new SparkSweepRunner(sc, false, inputs);
    }

    /** One point, shipped to an executor. */
    private record Point(
            int index,
            double parameter,
            String label,
            ModelSpec model,
            SpectrumAnalysis.Target op,
            boolean exact,
            long probes,
            long seed)
            implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    @Override
    public int parallelism() {
        return sc.defaultParallelism();
    }

    @Override
    public Sweep.Point analyze(
            int index,
            double parameter,
            String label,
            Model m,
            SpectrumAnalysis.Target op,
            boolean exact,
            long probes,
            long seed) {
        Broadcast<double[]> x = inputs;
        long[] dims = shape;
        Point job = new Point(index, parameter, label, ModelSpec.of(m), op, exact, probes, seed);
        sc.setJobDescription("ntk4j sweep point " + label);
        try {
            return sc.parallelize(List.of(job), 1)
                    .map(p -> {
                        ExecutorSetup.ensure();
                        try (Arena arena = Arena.ofConfined()) {
                            Tensor in = Tensor.of(arena, x.value(), dims);
                            return Sweep.analyze(
                                    p.index(),
                                    p.parameter(),
                                    p.label(),
                                    p.model().model(),
                                    in,
                                    p.op(),
                                    p.exact(),
                                    p.probes(),
                                    p.seed());
                        }
                    })
                    .collect()
                    .get(0);
        } catch (Exception e) { // SparkException is checked, thrown undeclared from Scala
            throw DistributedSession.failed("sweep point " + label, e);
        }
    }

    @Override
    public void close() {
        inputs.destroy();
        if (ownContext) {
            sc.stop();
        }
    }

    /** The {@code spark} runner for {@link java.util.ServiceLoader}. */
    public static final class Factory implements Sweep.RunnerFactory {
        @Override
        public String name() {
            return "spark";
        }

        @Override
        public Sweep.Runner open(String master, Tensor inputs) {
            SparkConf conf =
                    new SparkConf().setAppName("ntk4j sweep").setIfMissing("spark.ui.showConsoleProgress", "false");
            if (master != null && !master.isEmpty()) {
                conf.setMaster(master);
            }
            return new SparkSweepRunner(new JavaSparkContext(conf), true, inputs);
        }
    }
}
