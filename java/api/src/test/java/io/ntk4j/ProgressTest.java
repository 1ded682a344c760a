package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.io.ModelFiles;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Native progress reaches Java listeners, and a listener that throws cannot crash the JVM. */
class ProgressTest {
    @Test
    void listenerSeesLanczosAndAThrowingListenerIsHarmless() {
        Model m = ModelFiles.load(TestPaths.golden("rnn_elman"));
        List<String> seen = new ArrayList<>();
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(
                        m, io.ntk4j.io.Npy.read(TestPaths.golden("rnn_elman").resolve("inputs.npy"), arena))) {
            Ntk4j.setProgress((done, total, what) -> seen.add(what + " " + done + "/" + total));
            Eigs.top(s.K(), EigsOptions.top(2));
            assertThat(seen).isNotEmpty().last().isEqualTo("Lanczos: converged eigenpairs 2/2");
            Ntk4j.setProgress((done, total, what) -> {
                throw new IllegalStateException("a listener bug");
            });
            assertThat(Eigs.top(s.K(), EigsOptions.top(2)).converged()).isEqualTo(2); // unaffected
            Ntk4j.setProgress(null);
            int before = seen.size();
            Eigs.top(s.K(), EigsOptions.top(2));
            assertThat(seen).hasSize(before);
        } finally {
            Ntk4j.setProgress(null);
        }
    }
}
