package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Fails when native/include/ntk4j.h changed after the bindings were generated: run
 * bindings/regenerate.sh (it records the header's SHA-256 in bindings/ntk4j.h.sha256).
 */
class BindingsUpToDateTest {
    @Test
    void headerHashMatchesTheOneRecordedAtGeneration() throws Exception {
        byte[] header = Files.readAllBytes(TestPaths.root().resolve("native/include/ntk4j.h"));
        String actual =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(header));
        String recorded = Files.readString(TestPaths.root().resolve("bindings/ntk4j.h.sha256"))
                .strip();
        assertThat(actual)
                .as("native/include/ntk4j.h changed since the bindings were generated: run bindings/regenerate.sh")
                .isEqualTo(recorded);
    }
}
