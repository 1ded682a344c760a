package io.ntk4j.cli;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j demo}: the main job on an embedded default model (a leaky RNN with gain g = 1.5,
 * driven by noisy sinusoids): unroll, apply NTK_S to a block of probes, and check the results
 * against identities that must hold exactly.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Unrolls an embedded default model, applies NTK_S to a block of probes, prints a summary.")
final class DemoCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--probes", defaultValue = "8", description = "number of probes k (default ${DEFAULT-VALUE})")
  int probes;

  @Option(names = "--seed", defaultValue = "2605", description = "random seed (default ${DEFAULT-VALUE})")
  long seed;

  static final int H = 64, N = 3, B = 16, T = 100;
  static final double DT = 0.1, GAIN = 1.5;

  /** The embedded default model: rnn_leaky, H=64, N=3, dt=0.1, W_hh ~ g N(0,1)/sqrt(H). */
  static Model defaultModel(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] wih = new double[H * N], whh = new double[H * H];
    for (int i = 0; i < wih.length; i++) {
      wih[i] = rng.nextGaussian() / Math.sqrt(N);
    }
    for (int i = 0; i < whh.length; i++) {
      whh[i] = GAIN * rng.nextGaussian() / Math.sqrt(H);
    }
    Map<String, double[]> p = new LinkedHashMap<>();
    p.put("weight_ih", wih);
    p.put("weight_hh", whh);
    return Model.of(CellKind.RNN_LEAKY, H, N, DT, false, p);
  }

  static Tensor defaultInputs(Arena arena, long seed) {
    SplittableRandom rng = new SplittableRandom(seed + 1);
    Tensor x = Tensor.allocate(arena, B, T, N);
    for (int b = 0; b < B; b++) {
      double phase = 2 * Math.PI * b / B;
      for (int t = 0; t < T; t++) {
        for (int n = 0; n < N; n++) {
          x.set(Math.sin(0.1 * (n + 1) * t + phase) + 0.1 * rng.nextGaussian(), b, t, n);
        }
      }
    }
    return x;
  }

  @Override
  public Integer call() {
    if (probes < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--probes must be >= 1");
    }
    PrintWriter out = spec.commandLine().getOut();
    Model model = defaultModel(seed);
    try (Arena arena = Arena.ofConfined()) {
      Tensor x = defaultInputs(arena, seed);
      long t0 = System.nanoTime();
      try (Session s = Session.open(model, x)) {
        double unrollMs = (System.nanoTime() - t0) / 1e6;
        out.printf("ntk4j demo: %s on inputs [B=%d, T=%d, N=%d] (noisy sinusoids)%n", model, B, T, N);
        out.printf("  unrolled in %.1f ms; state space has B*T*H = %d dimensions%n", unrollMs, (long) B * T * H);

        Tensor q = Tensor.gaussian(arena, seed + 2, 1.0, probes, B, T, H);
        Tensor y = Tensor.allocate(arena, q.shape());
        long t1 = System.nanoTime();
        s.ntk().apply(q, y);
        double ntkMs = (System.nanoTime() - t1) / 1e6;
        long n = (long) B * T * H;
        double[] rayleigh = new double[probes];
        double min = Double.MAX_VALUE, max = 0, mean = 0;
        for (int j = 0; j < probes; j++) {
          rayleigh[j] = dot(q, j * n, y, j * n, n) / dot(q, j * n, q, j * n, n);
          min = Math.min(min, rayleigh[j]);
          max = Math.max(max, rayleigh[j]);
          mean += rayleigh[j] / probes;
        }
        out.printf("  NTK_S = P K P* applied to a block of k=%d probes in %.1f ms%n", probes, ntkMs);
        out.printf("  Rayleigh quotients q'NTK_S q / q'q: min %.4e, mean %.4e, max %.4e%n", min, mean, max);

        // Hutchinson's estimate of tr(K) from the same probes vs the exact Kronecker-core value
        // tr K = dt^2 H ||A||_F^2, A = [tanh(h_{t-1}), x_t] over (b, t) (DESIGN.md).
        Tensor kq = s.K().apply(q, arena);
        double hutch = 0;
        for (int j = 0; j < probes; j++) {
          hutch += dot(q, j * n, kq, j * n, n) / probes;
        }
        Tensor h = s.hidden(arena);
        double frob = 0;
        for (int b = 0; b < B; b++) {
          for (int t = 0; t < T; t++) {
            for (int i = 0; i < H; i++) {
              double th = t == 0 ? 0 : Math.tanh(h.get(b, t - 1, i));
              frob += th * th;
            }
            for (int m = 0; m < N; m++) {
              frob += x.get(b, t, m) * x.get(b, t, m);
            }
          }
        }
        double traceK = DT * DT * H * frob;
        out.printf("  tr K: exact (Kronecker core) %.6e, Hutchinson with %d probes %.6e%n", traceK, probes, hutch);

        // Identities that must hold to round-off: <P q0, q1> = <q0, P* q1>, P^-1 P q0 = q0,
        // <q0, NTK q1> = <NTK q0, q1>.
        Tensor pq = s.P().apply(q, arena), ptq = s.Pt().apply(q, arena), back = s.Pinv().apply(pq, arena);
        double adj = 0, sym = 0, inv = 0, scale = 0;
        if (probes > 1) {
          double a1 = dot(pq, 0, q, n, n), a2 = dot(q, 0, ptq, n, n);
          adj = Math.abs(a1 - a2) / Math.abs(a1);
          double s1 = dot(q, 0, y, n, n), s2 = dot(y, 0, q, n, n);
          sym = Math.abs(s1 - s2) / Math.abs(s1);
        }
        for (long i = 0; i < q.size(); i++) {
          inv = Math.max(inv, Math.abs(back.getFlat(i) - q.getFlat(i)));
          scale = Math.max(scale, Math.abs(q.getFlat(i)));
        }
        out.printf("  checks: adjoint <Pq,r> vs <q,P*r> rel. diff %.1e; NTK_S symmetry %.1e; |P^-1 P q - q| %.1e%n",
            adj, sym, inv / scale);

        // The spectrum of NTK_S = J J^T (J = P J_theta), by block Lanczos on J^T J.
        long t2 = System.nanoTime();
        io.ntk4j.spectral.EigenResult top;
        try (io.ntk4j.NativeOperator j = s.P().compose(s.jtheta())) {
          top = io.ntk4j.spectral.Eigs.topOfGram(j, io.ntk4j.spectral.EigsOptions.top(5));
        }
        var pr = io.ntk4j.spectral.Eigs.traces(s.ntk(), 60, seed);
        double eigMs = (System.nanoTime() - t2) / 1e6;
        StringBuilder vals = new StringBuilder();
        for (double v : top.values()) {
          vals.append(String.format(" %.4e", v));
        }
        out.printf("  top-5 eigenvalues of NTK_S:%s (%d of 5 converged, %d applies)%n", vals, top.converged(),
            top.vectorApplies());
        out.printf("  effective rank of NTK_S (Hutch++, 60 probes): %.1f ± %.1f of %d dimensions; %.0f ms%n",
            pr.effectiveRank().value(), pr.effectiveRank().stdError(), n, eigMs);
      }
    }
    return Main.EXIT_OK;
  }

  private static double dot(Tensor a, long offA, Tensor b, long offB, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) {
      s += a.getFlat(offA + i) * b.getFlat(offB + i);
    }
    return s;
  }
}
