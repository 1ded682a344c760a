package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.CellKind;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {
    @TempDir
    Path tmp;

    /** A copy of a golden model directory (model.json and weights only) to break on purpose. */
    private int copies;

    Path copy(String golden) throws IOException {
        Path dst = tmp.resolve(golden + "-" + copies++);
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(TestPaths.golden(golden))) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.equals("model.json") || n.startsWith("weight_") || n.startsWith("bias_")) {
                    Files.copy(f, dst.resolve(n));
                }
            }
        }
        return dst;
    }

    @Test
    void loadsEveryGoldenModel() {
        Model leaky = ModelFiles.load(TestPaths.golden("rnn_leaky_dt0p1"));
        assertThat(leaky.cell()).isEqualTo(CellKind.RNN_LEAKY);
        assertThat(leaky.dt()).isEqualTo(0.1);
        assertThat(leaky.numParams()).isEqualTo(35);
        assertThat(ModelFiles.load(TestPaths.golden("rnn_elman")).numParams()).isEqualTo(45);
        Model gru = ModelFiles.load(TestPaths.golden("gru"));
        assertThat(gru.numParams()).isEqualTo(135);
        assertThat(gru.bias()).isTrue();
    }

    @Test
    void roundTripsThroughWrite() {
        Model gru = ModelFiles.load(TestPaths.golden("gru"));
        ModelDirectory.write(tmp.resolve("out"), gru);
        Model back = ModelFiles.load(tmp.resolve("out"));
        assertThat(back.parameterVector()).containsExactly(gru.parameterVector());
        assertThat(back.toString()).isEqualTo(gru.toString());
    }

    @Test
    void badDirectoriesGetMessagesNamingFileAndProblem() throws Exception {
        assertRefused(tmp.resolve("nope"), "does not exist");

        Path noJson = copy("gru");
        Files.delete(noJson.resolve("model.json"));
        assertRefused(noJson, "model.json: missing");

        Path malformed = copy("rnn_elman");
        Files.writeString(malformed.resolve("model.json"), "{\"cell\": \"rnn_elman\", ");
        assertRefused(malformed, "malformed JSON");

        Path unknown = copy("rnn_elman");
        rewrite(unknown, "\"rnn_elman\"", "\"mamba\"");
        assertRefused(unknown, "unknown cell \"mamba\"");

        // An Elman RNN's weights declared as an LSTM: the gate count (4H rows) does not match.
        Path gates = copy("rnn_elman");
        rewrite(gates, "\"rnn_elman\"", "\"lstm\"");
        assertRefused(gates, "lstm with hidden_size=5, input_size=2 needs [20, 2]");

        Path badHidden = copy("rnn_elman");
        rewrite(badHidden, "\"hidden_size\": 5", "\"hidden_size\": -5");
        assertRefused(badHidden, "hidden_size");

        Path noDt = copy("rnn_leaky_dt1");
        rewrite(noDt, "\"dt\": 1.0", "\"dt\": null");
        assertRefused(noDt, "needs \"dt\"");

        Path missingWeight = copy("gru");
        Files.delete(missingWeight.resolve("bias_hh.npy"));
        assertRefused(missingWeight, "bias_hh.npy: missing");

        Path wrongShape = copy("rnn_elman");
        rewrite(wrongShape, "\"hidden_size\": 5", "\"hidden_size\": 4");
        assertRefused(wrongShape, "weight_ih.npy: shape [5, 2]");

        Path nan = copy("rnn_elman");
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Npy.read(nan.resolve("weight_hh.npy"), arena);
            w.set(Double.NaN, 1, 2);
            Npy.write(nan.resolve("weight_hh.npy"), w);
        }
        assertRefused(nan, "weight_hh.npy: contains a non-finite value (NaN) at flat index 7");

        Path h0 = copy("gru");
        rewrite(h0, "\"h0\": \"zeros\"", "\"h0\": \"random\"");
        assertRefused(h0, "\"h0\" must be absent or \"zeros\"");
    }

    private static void rewrite(Path dir, String from, String to) throws IOException {
        Path json = dir.resolve("model.json");
        String text = Files.readString(json);
        assertThat(text).as("test setup: " + from + " in " + json).contains(from);
        Files.writeString(json, text.replace(from, to));
    }

    private static void assertRefused(Path dir, String fragment) {
        assertThatThrownBy(() -> ModelFiles.load(dir))
                .isInstanceOf(io.ntk4j.InvalidInputException.class)
                .hasMessageContaining(dir.getFileName().toString())
                .hasMessageContaining(fragment);
    }

    @Test
    void writingOverAnotherModelLeavesNoneOfItsFiles() throws IOException {
        Path dir = copy("gru");
        Model gru = ModelFiles.load(dir);
        ModelDirectory.write(
                dir, gru, new io.ntk4j.Readout(2, gru.hiddenSize(), new double[2 * gru.hiddenSize()], new double[2]));
        Model leaky = ModelFiles.load(TestPaths.golden("rnn_leaky_dt0p1"));
        ModelDirectory.write(dir, leaky);
        Model back = ModelDirectory.read(dir);
        assertThat(back.parameterVector()).containsExactly(leaky.parameterVector());
        assertThat(ModelDirectory.readReadout(dir, back.hiddenSize())).isNull();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrder("model.json", "weight_ih.npy", "weight_hh.npy");
        }
        // Across kinds too: an attention block over the leaky cell, then a GRU with a readout over it.
        Model block = ModelFiles.load(TestPaths.golden("blocks/attention_mlp"));
        ModelDirectory.write(dir, block);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrderElementsOf(java.util.stream.Stream.concat(
                                    Stream.of("model.json"),
                                    block.parameterNames().stream().map(n -> n + ".npy"))
                            .toList());
        }
        assertThat(ModelDirectory.read(dir).parameterVector()).containsExactly(block.parameterVector());
        ModelDirectory.write(
                dir, gru, new io.ntk4j.Readout(2, gru.hiddenSize(), new double[2 * gru.hiddenSize()], new double[2]));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .containsExactlyInAnyOrder(
                            "model.json",
                            "weight_ih.npy",
                            "weight_hh.npy",
                            "bias_ih.npy",
                            "bias_hh.npy",
                            "readout_weight.npy",
                            "readout_bias.npy");
        }
    }

    @Test
    void aWriteThatStopsHalfwayLeavesAFolderThatIsRefusedNotAMix() throws IOException {
        Path dir = copy("gru");
        Model gru = ModelFiles.load(dir);
        // weight_hh.npy cannot be replaced (a non-empty folder in its place): the write stops after
        // weight_ih.npy, as a SIGKILL or a full disk would stop it.
        Files.delete(dir.resolve("weight_hh.npy"));
        Files.createDirectories(dir.resolve("weight_hh.npy").resolve("blocker"));
        Model other = gru.withGain(0.5);
        assertThatThrownBy(() -> ModelDirectory.write(dir, other)).isInstanceOf(java.io.UncheckedIOException.class);
        assertThat(dir.resolve("model.json")).doesNotExist();
        assertThatThrownBy(() -> ModelDirectory.read(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.json")
                .hasMessageContaining("interrupted");
    }
}
