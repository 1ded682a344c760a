package consumer;

import io.ntk4j.io.ModelFiles;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * What a new user's first program does: load a model, apply NTK_S to a block of probes, take the
 * top of its spectrum. Checked against the golden case's own dense reference (exit 1 if off).
 */
public final class Consumer {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Model model = ModelFiles.load(dir);
    try (Arena arena = Arena.ofConfined(); Session s = Session.open(model, Npy.read(dir.resolve("inputs.npy"), arena))) {
      Tensor q = Npy.read(dir.resolve("q.npy"), arena);
      Tensor want = Npy.read(dir.resolve("NTK_q.npy"), arena);
      Tensor got = s.ntk().apply(q, arena);
      double applyError = Tensor.relativeError(got, want);
      EigenResult top;
      try (var j = s.P().compose(s.jtheta())) {
        top = Eigs.topOfGram(j, EigsOptions.top(3));
      }
      double[] exact = Npy.read(dir.resolve("eig_NTK.npy"), arena).toArray();
      double eigError = 0;
      for (int i = 0; i < 3; i++) {
        eigError = Math.max(eigError, Math.abs(top.values()[i] - exact[i]) / exact[0]);
      }
      System.out.printf("consumer: NTK_S apply rel. error %.1e, top-3 eigenvalues rel. error %.1e%n", applyError, eigError);
      if (!(applyError < 1e-10) || !(eigError < 1e-9)) {
        System.err.println("consumer: results off");
        System.exit(1);
      }
    }
  }
}
