package io.ntk4j.bench;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.Ntk4j;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the cost of crossing from Java into the native core (a trivial downcall), and of a small
 * operator apply through the API (shape checks, status mapping, native work), run by
 * {@code ./ntk4j bench --jmh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CallOverheadBenchmark {
    private Arena arena;
    private Session session;
    private Tensor q;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rng = new SplittableRandom(1);
        int h = 8, n = 2, b = 2, t = 10;
        double[] wih = new double[h * n], whh = new double[h * h];
        for (int i = 0; i < wih.length; i++) {
            wih[i] = rng.nextGaussian();
        }
        for (int i = 0; i < whh.length; i++) {
            whh[i] = rng.nextGaussian() / Math.sqrt(h);
        }
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("weight_ih", wih);
        p.put("weight_hh", whh);
        arena = Arena.ofConfined();
        Tensor x = Tensor.gaussian(arena, 2, 1.0, b, t, n);
        session = Session.open(Model.of(CellKind.RNN_LEAKY, h, n, 0.5, false, p), x);
        q = Tensor.gaussian(arena, 3, 1.0, b, t, h);
        y = Tensor.allocate(arena, b, t, h);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        arena.close();
    }

    /** A downcall that does nothing but read a number: the Java-to-native crossing itself. */
    @Benchmark
    public int trivialDowncall() {
        return Ntk4j.threads();
    }

    /** P on a [2, 10, 8] probe through the public API. */
    @Benchmark
    public Tensor smallPropagatorApply() {
        session.P().apply(q, y);
        return y;
    }

    /** NTK_S on the same probe. */
    @Benchmark
    public Tensor smallNtkApply() {
        session.ntk().apply(q, y);
        return y;
    }
}
