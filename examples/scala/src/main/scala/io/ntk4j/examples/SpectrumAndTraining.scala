package io.ntk4j.examples

import io.ntk4j.io.ModelFiles
import io.ntk4j.{Model, Session}
import io.ntk4j.io.Npy
import io.ntk4j.spectral.{Eigs, EigsOptions}
import io.ntk4j.training.{Loss, Optimizer, Trainer}

import java.lang.foreign.Arena
import java.nio.file.Path
import scala.jdk.CollectionConverters._
import scala.util.Using

/** ntk4j from Scala: load a model, take the top of NTK_S's spectrum, train a few steps. */
object SpectrumAndTraining {
  def main(args: Array[String]): Unit = {
    val dir = Path.of(args.headOption.getOrElse("tests/golden/rnn_elman"))
    val model = ModelFiles.load(dir)
    val ok = Using.Manager { use =>
      val arena = use(Arena.ofConfined())
      val x = Npy.read(dir.resolve("inputs.npy"), arena)
      val session = use(Session.open(model, x))
      // NTK_S = J J^T with J = P J_theta: Lanczos on the smaller side.
      val j = use(session.P().compose(session.jtheta()))
      val top = Eigs.topOfGram(j, EigsOptions.top(3))
      val exact = Npy.read(dir.resolve("eig_NTK.npy"), arena).toArray
      val spectrumOk = top.values.zipWithIndex.forall { case (v, i) =>
        val rel = math.abs(v - exact(i)) / exact(0)
        println(f"scala: lambda_${i + 1}%d = $v%.12e (exact ${exact(i)}%.12e, rel. diff $rel%.1e)")
        rel <= 1e-9
      }
      // Teach the model its own trajectory shifted by 0.1: the state loss must fall.
      val targets = session.hidden(arena)
      (0L until targets.size()).foreach(k => targets.setFlat(k, targets.getFlat(k) + 0.1))
      val trainer = new Trainer(model, null, x, targets, Loss.STATE,
        new Optimizer(Optimizer.Kind.ADAM, 0.01, 0.0), Set("weight_hh", "bias_hh").asJava)
      (1 to 20).foreach(_ => trainer.step())
      val last = trainer.finish()
      val first = trainer.losses().asScala.head.doubleValue
      println(f"scala: state loss $first%.6e -> $last%.6e in 20 Adam steps")
      spectrumOk && last < first
    }.get
    if (!ok) {
      System.err.println("scala: the example's checks failed")
      sys.exit(1)
    }
  }
}
