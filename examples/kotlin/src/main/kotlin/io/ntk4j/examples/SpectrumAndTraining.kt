package io.ntk4j.examples

import io.ntk4j.io.ModelFiles
import io.ntk4j.Model
import io.ntk4j.Session
import io.ntk4j.io.Npy
import io.ntk4j.spectral.Eigs
import io.ntk4j.spectral.EigsOptions
import io.ntk4j.training.Loss
import io.ntk4j.training.Optimizer
import io.ntk4j.training.Trainer
import java.lang.foreign.Arena
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * ntk4j from Kotlin: load a model, take the top of NTK_S's spectrum, train a few steps.
 * Usage: SpectrumAndTrainingKt MODEL_DIR (a golden case: its eig_NTK.npy is the reference).
 */
fun main(args: Array<String>) {
    val dir = Path.of(args.getOrElse(0) { "tests/golden/rnn_elman" })
    val model = ModelFiles.load(dir)
    Arena.ofConfined().use { arena ->
        val x = Npy.read(dir.resolve("inputs.npy"), arena)
        Session.open(model, x).use { session ->
            // NTK_S = J J^T with J = P J_theta: Lanczos on the smaller side.
            val top = session.P().compose(session.jtheta()).use { j -> Eigs.topOfGram(j, EigsOptions.top(3)) }
            val exact = Npy.read(dir.resolve("eig_NTK.npy"), arena).toArray()
            top.values().forEachIndexed { i, v ->
                val rel = Math.abs(v - exact[i]) / exact[0]
                println("kotlin: lambda_%d = %.12e (exact %.12e, rel. diff %.1e)".format(i + 1, v, exact[i], rel))
                if (rel > 1e-9) {
                    System.err.println("kotlin: eigenvalue ${i + 1} is off by $rel")
                    exitProcess(1)
                }
            }
            // Teach the model its own trajectory shifted by 0.1: the state loss must fall.
            val targets = session.hidden(arena)
            for (k in 0L until targets.size()) targets.setFlat(k, targets.getFlat(k) + 0.1)
            val trainer = Trainer(model, null, x, targets, Loss.STATE,
                Optimizer(Optimizer.Kind.ADAM, 0.01, 0.0), setOf("weight_hh", "bias_hh"))
            repeat(20) { trainer.step() }
            val last = trainer.finish()
            val first = trainer.losses().first()
            println("kotlin: state loss %.6e -> %.6e in 20 Adam steps".format(first, last))
            if (!(last < first)) {
                System.err.println("kotlin: training did not lower the loss")
                exitProcess(1)
            }
        }
    }
}
