package io.ntk4j.spark;

import io.ntk4j.NativeLibrary;
import io.ntk4j.Ntk4j;
import io.ntk4j.Ntk4jException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * What an executor JVM does before its first shard: load the native core (from the ntk4j jar's
 * bundled copy, or -Dntk4j.library / NTK4J_LIBRARY), failing the task with a message that names the
 * host, and bound the native BLAS to the task's cores (spark.task.cpus, default 1), since an
 * executor runs spark.executor.cores tasks at once and OpenBLAS's own threads would oversubscribe
 * them. In local mode the executor is the driver: its thread setting is left to the user.
 */
final class ExecutorSetup {
    private static volatile boolean ready;

    private ExecutorSetup() {}

    static void ensure() {
        if (ready) {
            return;
        }
        synchronized (ExecutorSetup.class) {
            if (ready) {
                return;
            }
            try {
                NativeLibrary.ensureLoaded();
            } catch (Ntk4jException | LinkageError e) {
                throw new Ntk4jException("executor on " + host() + ": " + e.getMessage());
            }
            SparkEnv env = SparkEnv.get();
            TaskContext task = TaskContext.get();
            boolean local =
                    env == null || env.conf().get("spark.master", "local").startsWith("local");
            if (!local && task != null) {
                Ntk4j.setThreads(Math.max(1, task.cpus()));
            }
            ready = true;
        }
    }

    static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "an unnamed host";
        }
    }
}
