package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.io.ModelFormatException;
import io.ntk4j.io.Npy;
import io.ntk4j.io.PyTorchModel;
import io.ntk4j.spectral.Eigs;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The attention_mlp block beyond its golden cases (GoldenTest): the operator identities and a
 * finite-difference check of P J_theta on random blocks of both masks, torch's own export, and
 * the refusals of input the block cannot take.
 */
class AttentionMlpTest {

    static Model randomBlock(AttentionMlpConfig cfg, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, double[]> p = new LinkedHashMap<>();
        for (String name : cfg.parameterNames()) {
            long[] shape = cfg.parameterShape(name);
            double scale = name.equals("pos_embedding") ? 0.3 : 1.0 / Math.sqrt(shape[shape.length - 1]);
            double[] v = new double[Math.toIntExact(Tensor.elementCount(shape))];
            for (int i = 0; i < v.length; i++) {
                v[i] = scale * rng.nextGaussian();
            }
            p.put(name, v);
        }
        return Model.attentionMlp(cfg, p);
    }

    private static AttentionMlpConfig config(boolean causal) {
        return new AttentionMlpConfig(3, 8, 4, 6, 3, 2, 9, !causal, causal);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void operatorIdentitiesHold(boolean causal) {
        Model m = randomBlock(config(causal), causal ? 11 : 12);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(m, RandomModels.gaussian(arena, 5, 3, 7, 3))) {
            long[] shape = {2, s.batch(), s.steps(), s.hiddenSize()};
            Tensor q = RandomModels.gaussian(arena, 6, shape), w = RandomModels.gaussian(arena, 7, shape);
            // P P^-1 = I and P^-* P* = I: the feed-forward propagator is (I - L)^-1.
            assertThat(Tensor.relativeError(s.P().apply(s.Pinv().apply(q, arena), arena), q))
                    .isLessThan(1e-13);
            assertThat(Tensor.relativeError(s.Pinvt().apply(s.Pt().apply(q, arena), arena), q))
                    .isLessThan(1e-13);
            // <P q, w> = <q, P* w>, <J_theta v, w> = <v, J_theta^T w>.
            double lhs = RandomModels.dot(s.P().apply(q, arena), w),
                    rhs = RandomModels.dot(q, s.Pt().apply(w, arena));
            assertThat(lhs).isCloseTo(rhs, within(1e-12 * Math.abs(rhs)));
            Tensor v = RandomModels.gaussian(arena, 8, 2, s.numParams());
            double jl = RandomModels.dot(s.jtheta().apply(v, arena), w);
            double jr = RandomModels.dot(v, s.jthetaT().apply(w, arena));
            assertThat(jl).isCloseTo(jr, within(1e-12 * Math.abs(jr)));
            // K = J_theta J_theta^T and NTK_S = P K P*.
            assertThat(Tensor.relativeError(
                            s.K().apply(q, arena), s.jtheta().apply(s.jthetaT().apply(q, arena), arena)))
                    .isLessThan(1e-13);
            Tensor pkp = s.P().apply(s.K().apply(s.Pt().apply(q, arena), arena), arena);
            assertThat(Tensor.relativeError(s.ntk().apply(q, arena), pkp)).isLessThan(1e-13);
        }
    }

    /** P J_theta v against central differences of the forward pass: dz/dtheta, independent of L. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void propagatedParameterJacobianIsTheDerivativeOfTheForwardPass(boolean causal) {
        Model m = randomBlock(config(causal), causal ? 21 : 22);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = RandomModels.gaussian(arena, 9, 2, 6, 3);
            double[] theta = m.parameterVector();
            double[] v = RandomModels.gaussian(arena, 10, theta.length).toArray();
            double eps = 1e-5;
            Tensor plus = forward(arena, m, theta, v, eps, x), minus = forward(arena, m, theta, v, -eps, x);
            try (Session s = Session.open(m, x)) {
                Tensor jv = s.P().apply(s.jtheta().apply(Tensor.of(arena, v, theta.length), arena), arena);
                Tensor fd = Tensor.allocate(arena, jv.shape());
                for (long i = 0; i < fd.size(); i++) {
                    fd.setFlat(i, (plus.getFlat(i) - minus.getFlat(i)) / (2 * eps));
                }
                assertThat(Tensor.relativeError(jv, fd)).isLessThan(1e-7);
            }
        }
    }

    private static Tensor forward(Arena arena, Model m, double[] theta, double[] v, double eps, Tensor x) {
        Map<String, double[]> p = new LinkedHashMap<>();
        int off = 0;
        for (String name : m.parameterNames()) {
            double[] a = m.parameter(name);
            for (int i = 0; i < a.length; i++) {
                a[i] = theta[off + i] + eps * v[off + i];
            }
            off += a.length;
            p.put(name, a);
        }
        try (Session s = Session.open(m.withParameters(p), x)) {
            return s.hidden(arena);
        }
    }

    @Test
    void torchsExportGivesTorchsNtkSpectrum() throws Exception {
        Path dir = TestPaths.golden("blocks/exports");
        JsonNode c = new ObjectMapper()
                .readTree(Files.readString(dir.resolve("manifest.json")))
                .get("attention_mlp_safetensors");
        Path file =
                dir.resolve("attention_mlp_safetensors").resolve(c.get("file").asText());
        PyTorchModel.Loaded m = PyTorchModel.load(
                file,
                PyTorchModel.Options.inferred().withAttention(c.get("heads").asInt(), false));
        assertThat(m.model().cell()).isEqualTo(CellKind.ATTENTION_MLP);
        assertThat(m.model().attentionConfig().maxSeqLen())
                .isEqualTo(c.get("config").get("max_seq_len").asInt());
        assertThat(m.notes()).anyMatch(n -> n.contains("float32 weights upcast"));
        try (Arena arena = Arena.ofConfined();
                Session s =
                        Session.open(m.model(), Npy.read(dir.resolve("attention_mlp_safetensors/inputs.npy"), arena))) {
            double[] all = Eigs.exact(s.ntk());
            for (int i = 0; i < 5; i++) {
                double want = c.get("eig_NTK_top5").get(i).asDouble();
                assertThat(all[i]).as("eigenvalue " + i).isCloseTo(want, within(1e-9 * Math.abs(want)));
            }
        }
        assertThatThrownBy(() -> PyTorchModel.load(file, PyTorchModel.Options.inferred()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("head count")
                .hasMessageContaining("--heads");
        assertThatThrownBy(() ->
                        PyTorchModel.load(file, PyTorchModel.Options.inferred().withAttention(3, false)))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("d_model = 8 is not divisible by heads = 3");
    }

    @Test
    void inputTheBlockCannotTakeIsRefused() {
        Model m = randomBlock(config(false), 31); // positional table of 9 tokens
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Session.open(m, RandomModels.gaussian(arena, 1, 2, 10, 3)))
                    .isInstanceOf(Ntk4jException.class)
                    .hasMessageContaining("T = 10 tokens is longer than the positional table (max_seq_len = 9)");
            assertThatThrownBy(() -> Session.open(
                            m, RandomModels.gaussian(arena, 1, 2, 4, 3), RandomModels.gaussian(arena, 1, 2, 8)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("no initial state");
        }
        assertThatThrownBy(() -> new AttentionMlpConfig(3, 10, 4, 6, 3, 2, 9, true, false))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("d_model = 10 is not divisible by heads = 4");
        Map<String, double[]> wrong = new LinkedHashMap<>();
        for (String name : config(false).parameterNames()) {
            wrong.put(name, m.parameter(name));
        }
        wrong.put("attn.q_proj.weight", new double[5]);
        assertThatThrownBy(() -> Model.attentionMlp(config(false), wrong))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("attn.q_proj.weight has 5 values");
        assertThatThrownBy(() -> m.withGain(1.1)).hasMessageContaining("attention_mlp has none");
        assertThatThrownBy(() -> io.ntk4j.dynamics.FixedPoints.find(
                        m, new double[3], io.ntk4j.dynamics.FixedPoints.Options.defaults()))
                .hasMessageContaining("recurrent cell");
    }
}
