package io.ntk4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.io.File;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/** Spark's task retry keeps the distributed results exact; a node without the native core fails the job by name. */
class FaultToleranceTest {
    @Test
    void aTaskKilledMidApplyIsRetriedAndTheSpectrumIsUnchanged() {
        // local[2,4]: two task threads, a task may fail 3 times before the job does.
        JavaSparkContext sc = SparkTests.context("local[2,4]");
        Model m = DistributedSessionTest.leaky(16, 3, 1.2, 11);
        AtomicInteger killed = new AtomicInteger();
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.gaussian(arena, 12, 1.0, 12, 20, 3);
            EigsOptions o = EigsOptions.top(6).withTol(1e-12);
            double[] want;
            try (Session s = Session.open(m, x)) {
                want = Eigs.topOfGram(s.P().compose(s.jtheta()), o).values();
            }
            try (DistributedSession d = DistributedSession.open(sc, m, x, 3)) {
                // Every fifth apply, shard 1's first attempt dies after the executor lost its
                // sessions: the retry must unroll the shard again and give the same part.
                ShardSessions.fault = shard -> {
                    TaskContext t = TaskContext.get();
                    if (shard.index() == 1 && t.attemptNumber() == 0 && t.stageId() % 5 == 0) {
                        killed.incrementAndGet();
                        ShardSessions.dropAll();
                        throw new IllegalStateException("injected: executor lost mid-apply");
                    }
                };
                double[] got = d.top(o).values();
                assertThat(killed.get()).isPositive();
                for (int i = 0; i < want.length; i++) {
                    assertThat(Math.abs(got[i] - want[i])).isLessThanOrEqualTo(1e-10 * want[0]);
                }
            } finally {
                ShardSessions.fault = null;
            }
        } finally {
            sc.stop();
        }
    }

    @Test
    void anExecutorsExceptionComesBackWithItsTypeAndMessage() {
        // As Spark wraps a task's exception in its SparkException: the type decides the exit code.
        Exception bad = new RuntimeException("Job aborted", new io.ntk4j.InvalidInputException("T must be >= 3"));
        assertThat(DistributedSession.failed("sweep point g=1", bad))
                .isInstanceOf(io.ntk4j.InvalidInputException.class)
                .hasMessage("sweep point g=1 failed: T must be >= 3");
        Exception diverged = new RuntimeException("Job aborted", new io.ntk4j.NumericalException("not finite", 3));
        assertThat(DistributedSession.failed("x", diverged))
                .isInstanceOf(io.ntk4j.NumericalException.class)
                .hasMessageContaining("not finite");
        io.ntk4j.Ntk4jException own = new io.ntk4j.InvalidInputException("driver side");
        assertThat(DistributedSession.failed("x", own)).isSameAs(own);
        assertThat(DistributedSession.failed("x", new RuntimeException("lost")))
                .isExactlyInstanceOf(io.ntk4j.Ntk4jException.class)
                .hasMessage("x failed: lost");
    }

    @Test
    void aNodeThatCannotLoadTheNativeLibraryFailsTheJobWithThatMessage() throws Exception {
        // A fresh JVM whose only executor (local mode) is pointed at a library that does not exist.
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(List.of(System.getProperty("ntk4j.test.opens", "").split(" ")));
        cmd.removeIf(String::isEmpty);
        cmd.addAll(List.of(
                "-Dntk4j.library=/nonexistent/libntk4j.so",
                "-cp",
                System.getProperty("java.class.path"),
                NativeLoadFailureMain.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(NativeLoadFailureMain.EXIT_FAILED);
        assertThat(out).contains("the distributed apply failed: executor on ").contains("/nonexistent/libntk4j.so");
    }
}
