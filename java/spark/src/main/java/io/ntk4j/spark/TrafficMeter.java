package io.ntk4j.spark;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * What Spark itself reports moving for one distributed session's jobs (those run under its job
 * group): the serialized task results sent to the driver and the shuffle bytes written (a tree
 * aggregate's intermediate level), from the tasks' metrics — measured, not derived from sizes.
 */
final class TrafficMeter extends SparkListener {
    private final String group;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final AtomicLong resultBytes = new AtomicLong();
    private final AtomicLong shuffleBytes = new AtomicLong();
    private final AtomicLong tasks = new AtomicLong();

    TrafficMeter(String group) {
        this.group = group;
    }

    @Override
    public void onJobStart(SparkListenerJobStart job) {
        java.util.Properties p = job.properties();
        if (p != null && group.equals(p.getProperty("spark.jobGroup.id"))) {
            for (Object s : scala.jdk.javaapi.CollectionConverters.asJava(job.stageIds())) {
                stages.add((Integer) s);
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (stages.contains(end.stageId()) && end.taskMetrics() != null) {
            resultBytes.addAndGet(end.taskMetrics().resultSize());
            shuffleBytes.addAndGet(end.taskMetrics().shuffleWriteMetrics().bytesWritten());
            tasks.incrementAndGet();
        }
    }

    long resultBytes() {
        return resultBytes.get();
    }

    long shuffleBytes() {
        return shuffleBytes.get();
    }

    long tasks() {
        return tasks.get();
    }
}
