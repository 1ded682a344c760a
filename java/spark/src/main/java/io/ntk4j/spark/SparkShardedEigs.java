package io.ntk4j.spark;

import io.ntk4j.Model;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.spectral.ShardedEigs;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** {@code spectrum --spark MASTER}: a {@link DistributedSession} on its own Spark context, for one solve. */
public final class SparkShardedEigs implements ShardedEigs {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public Result top(
            String master,
            int partitions,
            Model model,
            Tensor inputs,
            EigsOptions o,
            io.ntk4j.spectral.RankOptions ranks,
            long rankProbes) {
        SparkConf conf = new SparkConf()
                .setAppName("ntk4j spectrum")
                .setIfMissing("spark.ui.showConsoleProgress", "false")
                .setIfMissing("spark.executor.extraJavaOptions", "--enable-native-access=ALL-UNNAMED");
        if (master != null && !master.isEmpty()) {
            conf.setMaster(master);
        }
        JavaSparkContext sc = new JavaSparkContext(conf);
        try {
            int parts = partitions > 0 ? partitions : (int) Math.min(sc.defaultParallelism(), inputs.dim(0));
            try (DistributedSession d = DistributedSession.open(sc, model, inputs, parts)) {
                io.ntk4j.spectral.SpectrumAnalysis.Result analysis =
                        ranks != null && rankProbes == 0 ? d.analyze(o, ranks) : null;
                EigenResult r = analysis != null
                        ? new EigenResult(
                                analysis.values(),
                                analysis.residuals(),
                                null,
                                analysis.converged(),
                                d.applies(),
                                analysis.eigenApplies(),
                                0,
                                0,
                                0)
                        : d.top(o);
                io.ntk4j.spectral.TraceEstimates hutch = rankProbes > 0 ? d.ranks(rankProbes, o.seed()) : null;
                return new Result(r, parts, d.bytesMoved(), d.measuredBytes(), hutch, analysis);
            }
        } finally {
            sc.stop();
        }
    }
}
