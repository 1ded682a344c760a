package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.spectral.ShardedEigs;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * {@code spectrum --spark MASTER}: NTK_S's top eigenvalues with the batch sharded across Spark
 * executors (ntk4j-spark's DistributedSession, found by ServiceLoader; README, "On Apache Spark").
 * The effective ranks and partial dimensions are spectrum's own estimators on the sharded NTK_S
 * (the same numbers as without --spark; the driver holds state-space probe blocks), or with
 * --spark-probes N Hutch++ on the shards' parameter-space Gram (effective rank only).
 */
final class SpectrumOnSpark {
    private SpectrumOnSpark() {}

    /** The --spark options of {@code spectrum}. */
    static final class Options {
        @picocli.CommandLine.Option(
                names = "--spark",
                paramLabel = "MASTER",
                description = "shard the batch across Spark executors on MASTER (local[2], spark://host:7077, yarn);"
                        + " --op NTK; needs the ntk4j-spark module (./ntk4j adds it)")
        String master;

        @picocli.CommandLine.Option(
                names = "--partitions",
                defaultValue = "0",
                description = "shards of the batch with --spark (default 0: the cluster's default parallelism)")
        int partitions;

        @picocli.CommandLine.Option(
                names = "--spark-probes",
                defaultValue = "0",
                description = "with --spark: the effective rank by Hutch++ from N parameter-space probes instead of"
                        + " spectrum's own estimators (for batches whose [16, B T H] probe blocks do not fit the"
                        + " driver; no partial dimensions); default 0: spectrum's own")
        long probes;
    }

    static int run(SpectrumCommand c, Model m) {
        Options so = c.spark;
        String op = c.op;
        if (!op.equalsIgnoreCase("NTK") && !op.equalsIgnoreCase("NTK_S")) {
            throw new InvalidInputException("--spark shards NTK_S only (--op NTK), not " + op);
        }
        if (c.exact || c.vectorsOut != null) {
            throw new InvalidInputException(
                    "--spark runs the randomized solver on the parameter side (no dense mode, no "
                            + "state-space eigenvectors): drop --exact and --vectors-out");
        }
        if (so.probes != 0 && so.probes < 4) {
            throw new InvalidInputException(
                    "--spark-probes must be 0 (spectrum's own estimators) or >= 4, got " + so.probes);
        }
        if (so.partitions < 0) {
            throw new InvalidInputException("--partitions must be >= 0, got " + so.partitions);
        }
        ShardedEigs impl = SparkModule.find(ShardedEigs.class, ShardedEigs::name);
        long t0 = System.nanoTime();
        EigsOptions o = EigsOptions.top(c.top)
                .withTol(c.tol)
                .withSeed(c.seed)
                .withBlock(c.block)
                .withMaxBasis(c.basis);
        long[] shape;
        ShardedEigs.Result r;
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = c.data.inputs(arena);
            shape = x.shape();
            io.ntk4j.spectral.RankOptions ro = c.eigenvaluesOnly || so.probes > 0
                    ? null
                    : io.ntk4j.spectral.RankOptions.defaults()
                            .withAccuracy(c.accuracy)
                            .withMaxSamples(c.maxSamples)
                            .withSeed(c.seed);
            r = impl.top(so.master, so.partitions, m, x, o, ro, c.eigenvaluesOnly ? 0 : so.probes);
        }
        PrintWriter out = c.spec.commandLine().getOut();
        double[] values = r.eigen().values(), residuals = r.eigen().residuals();
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("op", "NTK_S");
        root.put("method", "randomized, batch sharded on Spark");
        root.put("values_are", "eigenvalues");
        ArrayNode ev = root.putArray("eigenvalues");
        Arrays.stream(values).forEach(ev::add);
        ArrayNode res = root.putArray("residuals");
        Arrays.stream(residuals).forEach(res::add);
        root.put("converged", r.eigen().converged());
        root.put("partitions", r.partitions());
        root.put("applies", r.eigen().blockApplies());
        root.put("bytes_moved", r.bytesMoved());
        root.put("measured_bytes", r.measuredBytes());
        if (r.ranks() != null) {
            root.put("effective_rank", r.ranks().effectiveRank().value());
            root.put("effective_rank_std_error", r.ranks().effectiveRank().stdError());
            root.put("trace", r.ranks().trace().value());
            root.put("trace_std_error", r.ranks().trace().stdError());
            root.put("rank_probes", so.probes);
            root.put("partial_effective_dims", "not with --spark-probes (parameter-space Hutch++)");
        }
        io.ntk4j.spectral.SpectrumAnalysis.Result a = r.analysis();
        if (a != null) {
            io.ntk4j.spectral.RankEstimates rk = a.ranks();
            SpectrumOutputs.putRanks(
                    root,
                    "NTK_S",
                    rk.effectiveRank(),
                    rk.effectiveRankKpflow(),
                    a.partialDims(),
                    a.dimsKpflow(),
                    "hidden");
            root.put("trace", rk.trace().value());
            root.put("trace_std_error", rk.trace().stdError());
            root.put("accuracy", c.accuracy);
            root.put("accuracy_met", a.accuracyMet());
            root.put("rank_samples", a.rankSamples());
            root.put("deflation", rk.deflation());
        }
        root.put("seconds", (System.nanoTime() - t0) / 1e9);
        if (c.json) {
            out.println(root);
        } else {
            out.printf(
                    "eigenvalues of NTK_S on %s, inputs [B=%d, T=%d], batch in %d shards on Spark%n",
                    m, shape[0], shape[1], r.partitions());
            out.printf("  %-4s %-24s %s%n", "i", "lambda_i", "residual");
            for (int i = 0; i < values.length; i++) {
                out.printf("  %-4d %-24.16e %.2e%n", i + 1, values[i], residuals[i]);
            }
            if (r.ranks() != null) {
                out.printf(
                        "  effective rank of NTK_S: %s (Hutch++, %d probes in parameter space); partial effective"
                                + " dimensions: not with --spark-probes%n",
                        SpectrumOutputs.fmt(r.ranks().effectiveRank()), so.probes);
            }
            if (a != null) {
                out.printf(
                        "  effective rank of NTK_S: %s (kpflow's PR(A^2): %s)%n",
                        SpectrumOutputs.fmt(a.ranks().effectiveRank()),
                        SpectrumOutputs.fmt(a.ranks().effectiveRankKpflow()));
                SpectrumOutputs.printDims(out, a.partialDims(), a.dimsKpflow(), "hidden");
            }
            out.printf(
                    "  converged: %d of %d; %d block applies, %d bytes moved (%d reported by Spark), %.3f s%n",
                    r.eigen().converged(),
                    values.length,
                    r.eigen().blockApplies(),
                    r.bytesMoved(),
                    r.measuredBytes(),
                    root.get("seconds").asDouble());
        }
        if (a != null && !a.accuracyMet()) {
            c.spec.commandLine()
                    .getErr()
                    .printf(
                            "ntk4j spectrum: the rank estimates did not reach --accuracy %.3g within --max-samples %d"
                                    + " (largest relative standard error %.3g); they are reported with their errors,"
                                    + " not as met%n",
                            c.accuracy, c.maxSamples, a.worstRelativeError());
        }
        boolean ok = r.eigen().converged() == values.length && (a == null || a.accuracyMet());
        return ok ? Main.EXIT_OK : Main.EXIT_NUMERICAL;
    }
}
