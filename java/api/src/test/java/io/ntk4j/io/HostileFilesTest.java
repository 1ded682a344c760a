package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The malformed files of issue 13 ({@link HostileFiles}), each refused with a message naming the
 * file and the problem (InvalidInputException: exit 2 in the CLI, HostileFilesCliTest), none read
 * differently, none an internal error.
 */
class HostileFilesTest {
    @TempDir
    Path tmp;

    // ---- .npy headers -------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("io.ntk4j.io.HostileFiles#npyHeaders")
    void malformedNpyHeadersAreRefusedWithTheReason(String dict) throws IOException {
        Path f = HostileFiles.npy(tmp, dict, 6);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Npy.read(f, arena))
                    .isInstanceOf(NpyFormatException.class)
                    .hasMessageContaining(f.toString())
                    .hasMessageContaining("malformed .npy header");
        }
    }

    @Test
    void wellFormedHeadersInNumpysOwnVariantsAreRead() throws IOException {
        for (String dict : new String[] {
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
            "{\"shape\": (3,2), \"descr\": \"<f8\", \"fortran_order\": False}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (6,)}"
        }) {
            try (Arena arena = Arena.ofConfined()) {
                assertThat(Npy.read(HostileFiles.npy(tmp, dict, 6), arena).size())
                        .as(dict)
                        .isEqualTo(6);
            }
        }
    }

    // ---- .npz -----------------------------------------------------------------------------------

    @Test
    void anNpzEntryWithABadCrcIsRefused() throws IOException {
        byte[] data = HostileFiles.goldenNpy();
        Path f = HostileFiles.npz(tmp, true, new String[] {"weight_ih.npy"}, data);
        assertThat(StateDict.read(f).arrays()).containsKey("weight_ih");
        HostileFiles.flipBitIn(f, data);
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("CRC-32");
    }

    @Test
    void duplicateNpzEntriesAreRefused() throws IOException {
        Path f = HostileFiles.npzWithDuplicateEntries(tmp);
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString());
    }

    @Test
    void anNpzThatInflatesBeyondTheAvailableMemoryIsRefusedBeforeInflating() throws IOException {
        Path f = HostileFiles.npzBomb(tmp, Runtime.getRuntime().maxMemory());
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("refused before inflating");
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThat(after - before).as("bytes allocated while refusing").isLessThan(256L << 20);
    }

    // ---- safetensors ----------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("io.ntk4j.io.HostileFiles#safetensorsHeaders")
    void malformedSafetensorsAreRefusedNamingTheFile(String header) throws IOException {
        Path f = HostileFiles.safetensors(tmp, header, 16);
        assertThatThrownBy(() -> StateDict.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString());
    }

    @Test
    void aWellFormedSafetensorsFileIsRead() throws IOException {
        Path f = HostileFiles.safetensors(
                tmp,
                "{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [8, 16]}, "
                        + "\"b\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}",
                16);
        assertThat(StateDict.read(f).arrays()).containsKeys("a", "b");
    }

    // ---- model.json -----------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("io.ntk4j.io.HostileFiles#modelEdits")
    void modelJsonFieldsAreCheckedForRangeAndConsistencyWithTheFiles(HostileFiles.ModelEdit e) throws IOException {
        Path d = HostileFiles.modelDir(tmp, e);
        assertThatThrownBy(() -> ModelDirectory.read(d))
                .as(e.to())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(e.message());
    }
}
