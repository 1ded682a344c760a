package io.ntk4j.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Model;
import io.ntk4j.Readout;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The torch.optim trajectories of tests/golden/training, tests/golden/cells/training and
 * tests/golden/blocks/training reproduced: step-0 gradients and every loss to 1e-10 relative,
 * final parameters to 1e-10.
 */
public class TrainingGoldenTest {
    static Stream<String> cases() {
        return Stream.of(
                "training/elman_output_sgd",
                "training/gru_output_adam",
                "training/elman_state_whh_momentum",
                "cells/training/relu_output_sgd",
                "cells/training/linear_output_adam",
                "cells/training/lstm_output_adam",
                "blocks/training/attention_mlp_adam",
                "blocks/training/attention_mlp_causal_sgd");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void reproducesTorchOptim(String c) throws Exception {
        Path dir = TestPaths.root().resolve("tests/golden").resolve(c);
        JsonNode spec = new ObjectMapper().readTree(dir.resolve("model.json").toFile());
        try (Arena arena = Arena.ofConfined()) {
            Model model = ModelFiles.load(dir);
            Readout readout = null;
            if (Files.exists(dir.resolve("readout_weight.npy"))) {
                Tensor w = Npy.read(dir.resolve("readout_weight.npy"), arena),
                        b = Npy.read(dir.resolve("readout_bias.npy"), arena);
                readout = new Readout((int) w.dim(0), (int) w.dim(1), w.toArray(), b.toArray());
            }
            Loss loss = spec.get("loss").asText().startsWith("mse") ? Loss.MSE : Loss.STATE;
            Optimizer opt = new Optimizer(
                    Optimizer.Kind.fromId(spec.get("optimizer").asText()),
                    spec.get("lr").asDouble(),
                    spec.get("optimizer").asText().equals("sgd_momentum") ? 0.9 : 0.0);
            Set<String> trained = new HashSet<>();
            spec.get("trained").forEach(n -> trained.add(n.asText()));
            Trainer tr = new Trainer(
                    model,
                    readout,
                    Npy.read(dir.resolve("inputs.npy"), arena),
                    Npy.read(dir.resolve("targets.npy"), arena),
                    loss,
                    opt,
                    trained);

            // Step-0 gradients of every parameter (trained or not).
            Map<String, double[]> g0 = tr.evaluate().gradients();
            for (Map.Entry<String, double[]> g : g0.entrySet()) {
                Tensor want = Npy.read(dir.resolve("grad0_" + g.getKey() + ".npy"), arena);
                assertThat(relative(g.getValue(), want.toArray()))
                        .as(c + " grad0 " + g.getKey())
                        .isLessThanOrEqualTo(1e-10);
            }
            int steps = spec.get("steps").asInt();
            for (int s = 0; s < steps; s++) {
                tr.step();
            }
            tr.finish();
            for (int s = 0; s <= steps; s++) {
                double want = spec.get("losses").get(s).asDouble();
                assertThat(Math.abs(tr.losses().get(s) - want) / Math.abs(want))
                        .as(c + " loss " + s)
                        .isLessThanOrEqualTo(1e-10);
            }
            for (String name : tr.model().parameterNames()) {
                Tensor want = Npy.read(dir.resolve("final_" + name + ".npy"), arena);
                assertThat(relative(tr.model().parameter(name), want.toArray()))
                        .as(c + " final " + name)
                        .isLessThanOrEqualTo(1e-10);
            }
            if (readout != null) {
                assertThat(relative(
                                tr.readout().weight(),
                                Npy.read(dir.resolve("final_readout_weight.npy"), arena)
                                        .toArray()))
                        .as(c + " final readout_weight")
                        .isLessThanOrEqualTo(1e-10);
                assertThat(relative(
                                tr.readout().bias(),
                                Npy.read(dir.resolve("final_readout_bias.npy"), arena)
                                        .toArray()))
                        .as(c + " final readout_bias")
                        .isLessThanOrEqualTo(1e-10);
            }
        }
    }

    public static double relative(double[] a, double[] b) {
        double d = 0, s = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
            s = Math.max(s, Math.abs(b[i]));
        }
        return d / s;
    }
}
