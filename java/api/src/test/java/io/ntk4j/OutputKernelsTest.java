package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.ModelFiles;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.training.TrainingGoldenTest;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The output NTK and the cross kernels against torch autograd Jacobians of the outputs and the
 * state on two input batches (tests/golden/outputs): products to 1e-10, eigenvalues to 1e-8.
 */
class OutputKernelsTest {
    @ParameterizedTest
    @ValueSource(strings = {"elman_readout", "lstm_readout", "attention_mlp"})
    void kernelsMatchTorchJacobians(String c) {
        Path dir = TestPaths.golden("outputs/" + c);
        Model model = ModelFiles.load(dir);
        Readout readout = ModelDirectory.readReadout(dir, model.hiddenSize());
        try (Arena arena = Arena.ofConfined();
                Session s1 = Session.open(model, Npy.read(dir.resolve("inputs.npy"), arena));
                Session s2 = Session.open(model, Npy.read(dir.resolve("inputs_b.npy"), arena))) {
            LinearOperator ntk = OutputKernels.ntk(s1, readout);
            assertThat(ntk.isSymmetric()).isTrue();
            assertThat(ntk.rows()).isEqualTo(product(OutputKernels.outputsShape(s1, readout)));
            expectDense(ntk, dir.resolve("NTK_y_dense.npy"), arena, c + " NTK_y");
            LinearOperator cross = OutputKernels.cross(s1, s2, readout);
            assertThat(cross.rows()).isEqualTo(ntk.rows());
            assertThat(cross.cols()).isEqualTo(product(OutputKernels.outputsShape(s2, readout)));
            expectDense(cross, dir.resolve("cross_y_dense.npy"), arena, c + " cross_y");
            expectDense(OutputKernels.crossState(s1, s2), dir.resolve("cross_state_dense.npy"), arena, c + " cross_S");
            // The cross kernel of a batch with itself is the output NTK.
            assertThat(TrainingGoldenTest.relative(
                            OutputKernels.cross(s1, s1, readout).toDense(), ntk.toDense()))
                    .isLessThanOrEqualTo(1e-13);
            double[] want = Npy.read(dir.resolve("eig_NTK_y.npy"), arena).toArray();
            double[] exact = Eigs.exact(ntk);
            for (int i = 0; i < want.length; i++) {
                assertThat(Math.abs(exact[i] - want[i]))
                        .as(c + " eigenvalue " + i)
                        .isLessThanOrEqualTo(1e-8 * want[0]);
            }
            EigenResult top = Eigs.top(ntk, EigsOptions.top(3));
            for (int i = 0; i < 3; i++) {
                assertThat(Math.abs(top.values()[i] - want[i])).isLessThanOrEqualTo(1e-8 * want[0]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"elman_readout", "attention_mlp"})
    void refusesAMissingOrMisplacedReadout(String c) {
        Path dir = TestPaths.golden("outputs/" + c);
        Model model = ModelFiles.load(dir);
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(model, Npy.read(dir.resolve("inputs.npy"), arena))) {
            Readout wrong = model.attentionConfig() != null ? new Readout(1, 4, new double[4], new double[1]) : null;
            assertThatThrownBy(() -> OutputKernels.ntk(s, wrong))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining(
                            model.attentionConfig() != null ? "no separate readout" : "needs its readout");
        }
    }

    private static void expectDense(LinearOperator op, Path file, Arena arena, String what) {
        Tensor want = Npy.read(file, arena);
        assertThat(want.dim(0) * want.dim(1)).isEqualTo(op.rows() * op.cols());
        assertThat(TrainingGoldenTest.relative(op.toDense(), want.toArray()))
                .as(what)
                .isLessThanOrEqualTo(1e-10);
    }

    private static long product(long[] shape) {
        long p = 1;
        for (long d : shape) {
            p *= d;
        }
        return p;
    }
}
