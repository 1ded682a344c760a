package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The concurrency contract (issue 13; README "Reliability"): sessions opened, applied and closed
 * from 8 threads at once agree bit for bit with a single-threaded reference; one session is shared
 * by 8 threads; and a close racing with applies waits for the applies inside native code, fails
 * the later ones cleanly (IllegalStateException), and frees the native state every time (resident
 * memory stays flat over hundreds of races).
 */
class ConcurrencyStressTest {
    private static final Path DIR = TestPaths.golden("gru");

    private static long residentBytes() throws Exception {
        String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
        return Long.parseLong(f[1]) * 4096;
    }

    @Test
    void eightThreadsOpeningApplyingAndClosingAgreeWithOneThread() throws Exception {
        Model m = ModelFiles.load(DIR);
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Npy.read(DIR.resolve("inputs.npy"), arena), q = Npy.read(DIR.resolve("q.npy"), arena);
            double[] want;
            try (Session s = Session.open(m, x)) {
                want = s.ntk().apply(q, arena).toArray();
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> jobs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    jobs.add(pool.submit(() -> {
                        int same = 0;
                        for (int i = 0; i < 100; i++) {
                            try (Arena a = Arena.ofConfined();
                                    Session s = Session.open(m, x)) {
                                if (java.util.Arrays.equals(s.ntk().apply(q, a).toArray(), want)) {
                                    same++;
                                }
                            }
                        }
                        return same;
                    }));
                }
                for (Future<Integer> f : jobs) {
                    assertThat(f.get())
                            .as("applies identical to the single-threaded one")
                            .isEqualTo(100);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closeRacingWithAppliesWaitsFailsLaterOnesCleanlyAndFreesTheSession() throws Exception {
        Model m = ModelFiles.load(DIR);
        AtomicInteger applied = new AtomicInteger(), refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Npy.read(DIR.resolve("inputs.npy"), arena), q = Npy.read(DIR.resolve("q.npy"), arena);
            double[] want;
            try (Session s = Session.open(m, x)) {
                want = s.ntk().apply(q, arena).toArray();
            }
            long before = 0;
            for (int race = 0; race < 400; race++) {
                if (race == 50) {
                    System.gc();
                    before = residentBytes(); // after warm-up: JIT, arenas and pools settled
                }
                Session s = Session.open(m, x);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> appliers = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    appliers.add(pool.submit(() -> {
                        start.await();
                        try (Arena a = Arena.ofConfined()) {
                            for (int i = 0; i < 20; i++) {
                                double[] got = s.ntk().apply(q, a).toArray();
                                assertThat(got).isEqualTo(want);
                                applied.incrementAndGet();
                            }
                        } catch (IllegalStateException closed) {
                            assertThat(closed).hasMessageContaining("closed");
                            refused.incrementAndGet();
                        }
                        return null;
                    }));
                }
                start.countDown();
                if (race % 2 == 1) {
                    Thread.sleep(0, 50_000);
                }
                s.close(); // must not throw, whatever the appliers are doing
                assertThat(s.isClosed()).isTrue();
                for (Future<?> f : appliers) {
                    f.get();
                }
            }
            System.gc();
            long growth = residentBytes() - before;
            assertThat(growth).as("resident growth over 350 races (bytes)").isLessThan(64L << 20);
        } finally {
            pool.shutdownNow();
        }
        assertThat(applied.get()).as("applies that ran").isPositive();
        assertThat(refused.get()).as("applies refused after close").isPositive();
    }

    @Test
    void aUserOperatorThatBlocksHoldsOnlyItsOwnCallerAndOneReturningNaNIsRefused() throws Exception {
        Model m = ModelFiles.load(DIR);
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        LinearOperator blocking = LinearOperator.symmetric(50, (in, out) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (long i = 0; i < in.size(); i++) {
                out.setFlat(i, (i % 50 + 1) * in.getFlat(i));
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Arena arena = Arena.ofShared()) {
            Future<io.ntk4j.spectral.EigenResult> stuck =
                    pool.submit(() -> io.ntk4j.spectral.Eigs.top(blocking, io.ntk4j.spectral.EigsOptions.top(2)));
            assertThat(entered.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // While the user operator blocks inside native Lanczos on one thread, sessions on
            // another thread open, apply and close as usual (the core's workers are not held).
            Tensor x = Npy.read(DIR.resolve("inputs.npy"), arena), q = Npy.read(DIR.resolve("q.npy"), arena);
            Future<double[]> other = pool.submit(() -> {
                try (Arena a = Arena.ofConfined();
                        Session s = Session.open(m, x)) {
                    return s.ntk().apply(q, a).toArray();
                }
            });
            assertThat(other.get(30, java.util.concurrent.TimeUnit.SECONDS)).hasSize((int) q.size());
            release.countDown();
            assertThat(stuck.get(60, java.util.concurrent.TimeUnit.SECONDS).values()[0])
                    .isEqualTo(50.0, org.assertj.core.api.Assertions.within(1e-9));
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        LinearOperator nan = LinearOperator.symmetric(20, (in, out) -> {
            for (long i = 0; i < in.size(); i++) {
                out.setFlat(i, i == 3 ? Double.NaN : in.getFlat(i));
            }
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> io.ntk4j.spectral.Eigs.top(nan, io.ntk4j.spectral.EigsOptions.top(2)))
                .isInstanceOf(NumericalException.class)
                .hasMessageContaining("non-finite");
    }
}
