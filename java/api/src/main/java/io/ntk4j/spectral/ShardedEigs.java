package io.ntk4j.spectral;

import io.ntk4j.Model;
import io.ntk4j.Tensor;

/**
 * NTK_S's top eigenvalues with the batch split into shards across a cluster, found with
 * {@link java.util.ServiceLoader} (ntk4j-spark provides {@code spark}: {@code ./ntk4j spectrum
 * --spark MASTER}). The solver runs on the driver against the shards' parameter-space Gram
 * (P J_theta)^T (P J_theta), which has NTK_S's nonzero eigenvalues.
 */
public interface ShardedEigs {
    /**
     * @param partitions the shards the solve used
     * @param bytesMoved the blocks shipped by design (broadcast out, each shard's part back)
     * @param measuredBytes what the cluster reported moving for the solve's jobs
     * @param ranks Hutch++ estimates of tr NTK_S, tr NTK_S^2 and its effective rank, probed in
     *     parameter space (null when none were asked for)
     * @param analysis {@code spectrum}'s own analysis ({@link SpectrumAnalysis#ofTop}): the effective
     *     ranks and partial dimensions by the single-machine estimators on the sharded NTK_S, the same
     *     numbers as one session's (null when not asked for)
     */
    record Result(
            EigenResult eigen,
            int partitions,
            long bytesMoved,
            long measuredBytes,
            TraceEstimates ranks,
            SpectrumAnalysis.Result analysis) {}

    /** The implementation's name, e.g. {@code spark}. */
    String name();

    /**
     * The top eigenvalues of NTK_S of {@code model} on {@code inputs} [B, T, N], the batch split
     * into {@code partitions} shards (0: the cluster's default parallelism, at most B) on {@code master};
     * with {@code ranks} also {@code spectrum}'s effective ranks and partial dimensions (state-space
     * probes: the driver holds blocks of B T W), or with {@code rankProbes} > 0 instead the effective
     * rank by Hutch++ from that many parameter-space probes (seeded by o's seed).
     */
    Result top(
            String master,
            int partitions,
            Model model,
            Tensor inputs,
            EigsOptions o,
            RankOptions ranks,
            long rankProbes);
}
