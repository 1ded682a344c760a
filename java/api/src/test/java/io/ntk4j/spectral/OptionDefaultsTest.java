package io.ntk4j.spectral;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.NativeLibrary;
import io.ntk4j.dynamics.FixedPoints;
import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_eigs_options;
import io.ntk4j.internal.ffi.ntk4j_fixed_point_options;
import io.ntk4j.internal.ffi.ntk4j_rank_options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The Java option records' defaults are the native core's (its *_options_init functions fill the
 * ABI structs from the core's own structs), and the seed is the header's NTK4J_DEFAULT_SEED.
 */
class OptionDefaultsTest {
    @Test
    void javaDefaultsAreTheNativeCoresOwn() {
        NativeLibrary.ensureLoaded();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment e = ntk4j_eigs_options.allocate(arena);
            Ntk4jNative.ntk4j_eigs_options_init(e, 7);
            EigsOptions eo = EigsOptions.top(7);
            assertThat(ntk4j_eigs_options.k(e)).isEqualTo(eo.k());
            assertThat(ntk4j_eigs_options.tol(e)).isEqualTo(eo.tol());
            assertThat(ntk4j_eigs_options.block(e)).isEqualTo(eo.block());
            assertThat(ntk4j_eigs_options.max_basis(e)).isEqualTo(eo.maxBasis());
            assertThat(ntk4j_eigs_options.max_restarts(e)).isEqualTo(eo.maxRestarts());
            assertThat(ntk4j_eigs_options.seed(e)).isEqualTo(eo.seed()).isEqualTo(Ntk4jNative.NTK4J_DEFAULT_SEED());

            MemorySegment s = ntk4j_eigs_options.allocate(arena);
            Ntk4jNative.ntk4j_svds_options_init(s, 3);
            SvdOptions so = SvdOptions.top(3);
            assertThat(ntk4j_eigs_options.block(s)).isEqualTo(so.oversample());
            assertThat(ntk4j_eigs_options.max_restarts(s)).isEqualTo(so.maxIterations());
            assertThat(ntk4j_eigs_options.tol(s)).isEqualTo(so.tol());
            assertThat(ntk4j_eigs_options.seed(s)).isEqualTo(so.seed());

            MemorySegment r = ntk4j_rank_options.allocate(arena);
            Ntk4jNative.ntk4j_rank_options_init(r);
            RankOptions ro = RankOptions.defaults();
            assertThat(ntk4j_rank_options.accuracy(r)).isEqualTo(ro.accuracy());
            assertThat(ntk4j_rank_options.min_samples(r)).isEqualTo(ro.minSamples());
            assertThat(ntk4j_rank_options.max_samples(r)).isEqualTo(ro.maxSamples());
            assertThat(ntk4j_rank_options.seed(r)).isEqualTo(ro.seed());
            assertThat(ntk4j_rank_options.traces(r) != 0).isEqualTo(ro.traces());
            assertThat(ntk4j_rank_options.partial(r) != 0).isEqualTo(ro.partial());
            assertThat(ntk4j_rank_options.partial_kpflow(r) != 0).isEqualTo(ro.partialKpflow());

            MemorySegment f = ntk4j_fixed_point_options.allocate(arena);
            Ntk4jNative.ntk4j_fixed_point_options_init(f);
            FixedPoints.Options fo = FixedPoints.Options.defaults();
            assertThat(ntk4j_fixed_point_options.starts(f)).isEqualTo(fo.starts());
            assertThat(ntk4j_fixed_point_options.rollout_steps(f)).isEqualTo(fo.rolloutSteps());
            assertThat(ntk4j_fixed_point_options.max_iterations(f)).isEqualTo(fo.maxIterations());
            assertThat(ntk4j_fixed_point_options.tol(f)).isEqualTo(fo.tol());
            assertThat(ntk4j_fixed_point_options.init_scale(f)).isEqualTo(fo.initScale());
            assertThat(ntk4j_fixed_point_options.seed(f)).isEqualTo(fo.seed());
        }
    }
}
