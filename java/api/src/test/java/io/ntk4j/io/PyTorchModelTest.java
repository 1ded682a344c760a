package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.CellKind;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.TestPaths;
import io.ntk4j.io.PyTorchModel.Nonlinearity;
import io.ntk4j.spectral.Eigs;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every fixture of tests/golden/pytorch_export (saved by PyTorch itself) against its manifest. */
class PyTorchModelTest {
    static final Path DIR = TestPaths.root().resolve("tests/golden/pytorch_export");

    @Test
    void loadableFixturesGiveTheManifestsNtkSpectrum() throws Exception {
        JsonNode manifest = new ObjectMapper().readTree(Files.readString(DIR.resolve("manifest.json")));
        int loaded = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = manifest.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode c = e.getValue();
            if (c.path("must_refuse").asBoolean(false)) {
                continue;
            }
            Path file = DIR.resolve(e.getKey()).resolve(c.get("file").asText());
            assertThat(PyTorchModel.isStateDictFile(file)).isTrue();
            PyTorchModel.Options says = c.get("cell").asText().equals("gru")
                    ? PyTorchModel.Options.inferred()
                    : PyTorchModel.Options.inferred().withNonlinearity(PyTorchModel.Nonlinearity.TANH);
            PyTorchModel.Loaded m = PyTorchModel.load(file, says);
            assertThat(m.model().cell().id())
                    .as(e.getKey())
                    .isEqualTo(c.get("cell").asText());
            if (c.has("dt")) {
                assertThat(m.model().dt()).isEqualTo(c.get("dt").asDouble());
            }
            assertThat(m.readout() != null)
                    .as(e.getKey() + " readout")
                    .isEqualTo(c.has("readout") || e.getKey().startsWith("kpflow"));
            if (c.get("dtype").asText().equals("float32")) {
                assertThat(m.model().assumptions()).anyMatch(n -> n.contains("float32 weights upcast to float64"));
            }
            if (m.model().cell() == CellKind.RNN_LEAKY) { // dt is not in a state dict: the model says it was assumed
                assertThat(m.model().assumptions()).anyMatch(n -> n.contains("using dt = 1"));
            }
            assertThat(m.notes()).isEqualTo(m.model().assumptions());
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = Npy.read(DIR.resolve(e.getKey()).resolve("inputs.npy"), arena);
                try (Session s = Session.open(m.model(), x)) {
                    double[] all = Eigs.exact(s.ntk());
                    JsonNode want = c.get("eig_NTK_top5");
                    for (int i = 0; i < 5; i++) {
                        double w = want.get(i).asDouble();
                        assertThat(all[i]).as(e.getKey() + " eigenvalue " + i).isCloseTo(w, within(1e-9 * Math.abs(w)));
                    }
                }
            }
            loaded++;
        }
        assertThat(loaded).isEqualTo(4);
    }

    @Test
    void exportsOfTheNewLayoutsGiveTorchsNtkSpectrum() throws Exception {
        // tests/golden/cells/make_golden.py: torch.nn.RNN(nonlinearity='relu'), torch.nn.LSTM and
        // torch.nn.LSTMCell state dicts. An LSTM's 4H rows say what it is; a ReLU RNN needs saying.
        Path dir = TestPaths.golden("cells/exports");
        JsonNode manifest = new ObjectMapper().readTree(Files.readString(dir.resolve("manifest.json")));
        int loaded = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = manifest.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode c = e.getValue();
            CellKind cell = CellKind.fromId(c.get("cell").asText());
            PyTorchModel.Options says = cell == CellKind.RNN_RELU
                    ? PyTorchModel.Options.inferred().withNonlinearity(Nonlinearity.RELU)
                    : PyTorchModel.Options.inferred();
            PyTorchModel.Loaded m = PyTorchModel.load(
                    dir.resolve(e.getKey()).resolve(c.get("file").asText()), says);
            assertThat(m.model().cell()).as(e.getKey()).isEqualTo(cell);
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(
                            m.model(), Npy.read(dir.resolve(e.getKey()).resolve("inputs.npy"), arena))) {
                double[] all = Eigs.exact(s.ntk());
                for (int i = 0; i < 5; i++) {
                    double w = c.get("eig_NTK_top5").get(i).asDouble();
                    assertThat(all[i]).as(e.getKey() + " eigenvalue " + i).isCloseTo(w, within(1e-9 * Math.abs(w)));
                }
            }
            loaded++;
        }
        assertThat(loaded).isEqualTo(3);
    }

    @Test
    void multiLayerAndBidirectionalAreRefusedNamingWhatWasFound() {
        assertThatThrownBy(() -> PyTorchModel.load(
                        DIR.resolve("refuse_gru_2layer/model.safetensors"), PyTorchModel.Options.inferred()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("multi-layer")
                .hasMessageContaining("weight_hh_l1")
                .hasMessageContaining("supported:");
        assertThatThrownBy(() -> PyTorchModel.load(
                        DIR.resolve("refuse_rnn_bidirectional/model.safetensors"), PyTorchModel.Options.inferred()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("bidirectional")
                .hasMessageContaining("_reverse");
    }

    @Test
    void wrongCellOverridesAndBrokenFilesAreRefused(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path gru = DIR.resolve("gru_l0_safetensors/model.safetensors");
        assertThatThrownBy(() -> PyTorchModel.load(gru, new PyTorchModel.Options(CellKind.RNN_ELMAN, Double.NaN)))
                .hasMessageContaining("weights are those of a gru");
        byte[] bytes = Files.readAllBytes(gru);
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 8));
        assertThatThrownBy(() -> PyTorchModel.load(cut, PyTorchModel.Options.inferred()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("data_offsets");
        Path junk = tmp.resolve("junk.npz");
        Files.writeString(junk, "not a zip");
        assertThatThrownBy(() -> PyTorchModel.load(junk, PyTorchModel.Options.inferred()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("junk.npz");
        Path other = tmp.resolve("model.pt");
        Files.writeString(other, "x");
        assertThatThrownBy(() -> StateDict.read(other)).hasMessageContaining("unknown model file type");
    }

    @Test
    void rnnStateDictsNeedTheirNonlinearitySaidAndKeepTheirAssumptions() {
        Path rnncell = DIR.resolve("rnncell_safetensors/model.safetensors");
        Path basic = DIR.resolve("kpflow_basicrnn_npz").resolve("model.npz");
        for (Path f : new Path[] {rnncell, basic}) {
            assertThatThrownBy(() -> PyTorchModel.load(f, PyTorchModel.Options.inferred()))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("does not store its nonlinearity");
            assertThatThrownBy(() -> io.ntk4j.io.ModelFiles.load(f))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("--nonlinearity tanh");
        }
        // torch.nn.RNN has tanh and relu variants, KPFlow's BasicRNN tanh and linear: the other one
        // of each is refused, the variant it has is that cell.
        assertThat(PyTorchModel.load(rnncell, PyTorchModel.Options.inferred().withNonlinearity(Nonlinearity.RELU))
                        .model()
                        .cell())
                .isEqualTo(CellKind.RNN_RELU);
        assertThat(PyTorchModel.load(basic, PyTorchModel.Options.inferred().withNonlinearity(Nonlinearity.LINEAR))
                        .model()
                        .cell())
                .isEqualTo(CellKind.RNN_LINEAR);
        assertThatThrownBy(() -> PyTorchModel.load(
                        rnncell, PyTorchModel.Options.inferred().withNonlinearity(Nonlinearity.LINEAR)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("would be wrong");
        assertThatThrownBy(() ->
                        PyTorchModel.load(basic, PyTorchModel.Options.inferred().withNonlinearity(Nonlinearity.RELU)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("would be wrong");
        assertThatThrownBy(() -> PyTorchModel.load(
                        rnncell, new PyTorchModel.Options(CellKind.RNN_ELMAN, Double.NaN, Nonlinearity.RELU)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("makes it rnn_relu");
        // Naming the cell says it (rnn_elman is tanh); a GRU takes no nonlinearity.
        assertThat(PyTorchModel.load(rnncell, new PyTorchModel.Options(CellKind.RNN_ELMAN, Double.NaN))
                        .model()
                        .cell())
                .isEqualTo(CellKind.RNN_ELMAN);
        Path gru = DIR.resolve("gru_l0_safetensors/model.safetensors");
        assertThatThrownBy(() -> PyTorchModel.load(
                        gru, PyTorchModel.Options.inferred().withNonlinearity(PyTorchModel.Nonlinearity.TANH)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("a GRU's are fixed");
        // What was assumed travels with the model through derived models (gain, training).
        io.ntk4j.Model leaky = PyTorchModel.load(
                        basic, PyTorchModel.Options.inferred().withNonlinearity(PyTorchModel.Nonlinearity.TANH))
                .model();
        assertThat(leaky.withGain(1.5).assumptions())
                .isEqualTo(leaky.assumptions())
                .isNotEmpty();
    }

    @Test
    void pickleFilesAreRefusedWithTheExportToUse() throws Exception {
        Path pt = Files.createTempFile("ntk4j", ".pt");
        try {
            for (var load : java.util.List.<java.util.function.Supplier<?>>of(
                    () -> io.ntk4j.io.ModelFiles.load(pt),
                    () -> PyTorchModel.load(pt, PyTorchModel.Options.inferred()),
                    () -> ModelDirectory.read(pt))) {
                assertThatThrownBy(load::get)
                        .isInstanceOf(ModelFormatException.class)
                        .hasMessageContaining("a PyTorch pickle (.pt): export it as .safetensors or .npz");
            }
        } finally {
            Files.delete(pt);
        }
    }

    @Test
    void writtenStateDictsKeepEveryBitAndSayTheirCellAndDt(@org.junit.jupiter.api.io.TempDir Path tmp) {
        java.util.Random rnd = new java.util.Random(5);
        for (CellKind kind : new CellKind[] {CellKind.RNN_LEAKY, CellKind.RNN_ELMAN, CellKind.GRU}) {
            boolean bias = kind != CellKind.RNN_LEAKY;
            java.util.Map<String, double[]> p = new java.util.LinkedHashMap<>();
            for (String name : io.ntk4j.Model.parameterNames(bias)) {
                double[] v = new double
                        [Math.toIntExact(
                                io.ntk4j.Tensor.elementCount(io.ntk4j.Model.parameterShape(kind, 4, 3, name)))];
                for (int i = 0; i < v.length; i++) {
                    v[i] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3); // values whose every bit matters
                }
                p.put(name, v);
            }
            io.ntk4j.Model m = io.ntk4j.Model.of(kind, 4, 3, 0.37, bias, p);
            io.ntk4j.Readout ro = new io.ntk4j.Readout(
                    2, 4, new double[] {1e-300, -2, 3, 4, 5, 6, 7, Math.PI}, new double[] {Double.MIN_VALUE, -0.0});
            Path f = tmp.resolve(kind.id() + ".safetensors");
            PyTorchModel.write(f, m, ro);
            PyTorchModel.Loaded back = PyTorchModel.load(f, PyTorchModel.Options.inferred());
            assertThat(back.model().cell()).isEqualTo(kind);
            assertThat(back.model().dt()).isEqualTo(kind.usesDt() ? 0.37 : 1.0);
            assertThat(back.model().assumptions()).isEmpty();
            for (String name : m.parameterNames()) {
                assertThat(java.util.Arrays.stream(back.model().parameter(name))
                                .mapToLong(Double::doubleToRawLongBits)
                                .toArray())
                        .as(kind + " " + name)
                        .isEqualTo(java.util.Arrays.stream(m.parameter(name))
                                .mapToLong(Double::doubleToRawLongBits)
                                .toArray());
            }
            assertThat(java.util.Arrays.stream(back.readout().bias())
                            .mapToLong(Double::doubleToRawLongBits)
                            .toArray())
                    .containsExactly(Double.doubleToRawLongBits(Double.MIN_VALUE), Double.doubleToRawLongBits(-0.0));
            assertThat(StateDict.read(f).metadata())
                    .containsEntry("ntk4j.cell", kind.id())
                    .containsEntry("format", "pt");
            // An option contradicting what the file says is refused, not silently preferred.
            if (kind.usesDt()) {
                assertThatThrownBy(() -> PyTorchModel.load(f, new PyTorchModel.Options(null, 0.5)))
                        .isInstanceOf(ModelFormatException.class)
                        .hasMessageContaining("the file says dt = 0.37");
            }
        }
    }
}
