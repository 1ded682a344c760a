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
    for (Iterator<Map.Entry<String, JsonNode>> it = manifest.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode c = e.getValue();
      if (c.path("must_refuse").asBoolean(false)) {
        continue;
      }
      Path file = DIR.resolve(e.getKey()).resolve(c.get("file").asText());
      assertThat(PyTorchModel.isStateDictFile(file)).isTrue();
      PyTorchModel.Loaded m = PyTorchModel.load(file, PyTorchModel.Options.inferred());
      assertThat(m.model().cell().id()).as(e.getKey()).isEqualTo(c.get("cell").asText());
      if (c.has("dt")) {
        assertThat(m.model().dt()).isEqualTo(c.get("dt").asDouble());
      }
      assertThat(m.readout() != null).as(e.getKey() + " readout").isEqualTo(c.has("readout") || e.getKey().startsWith("kpflow"));
      if (c.get("dtype").asText().equals("float32")) {
        assertThat(m.notes()).anyMatch(n -> n.contains("float32 weights upcast to float64"));
      }
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
  void multiLayerAndBidirectionalAreRefusedNamingWhatWasFound() {
    assertThatThrownBy(() -> PyTorchModel.load(DIR.resolve("refuse_gru_2layer/model.safetensors"),
        PyTorchModel.Options.inferred())).isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("multi-layer").hasMessageContaining("weight_hh_l1").hasMessageContaining("supported:");
    assertThatThrownBy(() -> PyTorchModel.load(DIR.resolve("refuse_rnn_bidirectional/model.safetensors"),
        PyTorchModel.Options.inferred())).isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("bidirectional").hasMessageContaining("_reverse");
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
        .isInstanceOf(ModelFormatException.class).hasMessageContaining("data_offsets");
    Path junk = tmp.resolve("junk.npz");
    Files.writeString(junk, "not a zip");
    assertThatThrownBy(() -> PyTorchModel.load(junk, PyTorchModel.Options.inferred()))
        .isInstanceOf(ModelFormatException.class).hasMessageContaining("junk.npz");
    Path other = tmp.resolve("model.pt");
    Files.writeString(other, "x");
    assertThatThrownBy(() -> StateDict.read(other)).hasMessageContaining("unknown model file type");
  }
}
