package io.ntk4j.spark;

import io.ntk4j.Model;
import io.ntk4j.Ntk4jException;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import org.apache.spark.api.java.JavaSparkContext;

/** The child JVM of {@link FaultToleranceTest}: one distributed apply on a node without the native core. */
public final class NativeLoadFailureMain {
    static final int EXIT_FAILED = 7;

    private NativeLoadFailureMain() {}

    public static void main(String[] args) {
        JavaSparkContext sc = SparkTests.context();
        Model m = DistributedSessionTest.leaky(4, 2, 1.0, 1);
        try (Arena arena = Arena.ofConfined()) {
            double[] x = new double[3 * 5 * 2];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.sin(i);
            }
            DistributedSession d = DistributedSession.open(sc, m, Tensor.of(arena, x, 3, 5, 2), 2);
            double[] v = new double[(int) m.numParams()];
            v[0] = 1;
            d.parameterGram().apply(Tensor.of(arena, v, v.length), Tensor.of(arena, new double[v.length], v.length));
            System.out.println("unexpected: the apply succeeded");
            System.exit(0);
        } catch (Ntk4jException e) {
            System.out.println(e.getMessage());
            System.exit(EXIT_FAILED);
        } finally {
            sc.stop();
        }
    }
}
