package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar's own copy of libntk4j.so: extracted once per content, reused while unchanged, replaced
 * when the file on disk was altered; and the hints for a missing system dependency. (Which copy a
 * JVM loads, in which order, is tested across processes: tests/cli/native_lookup.sh and
 * tests/cli/consumer_project.sh.)
 */
class NativeLibraryTest {
    @TempDir
    Path dir;

    private Path extractInto(Path base) {
        String old = System.getProperty("ntk4j.extract.dir");
        System.setProperty("ntk4j.extract.dir", base.toString());
        try {
            return NativeLibrary.extractBundled();
        } finally {
            if (old == null) {
                System.clearProperty("ntk4j.extract.dir");
            } else {
                System.setProperty("ntk4j.extract.dir", old);
            }
        }
    }

    @Test
    void bundledCopyIsExtractedOnceAndRepairedWhenAltered() throws Exception {
        assertThat(NativeLibrary.platform()).isEqualTo("linux-x86_64");
        byte[] bundled;
        try (var in = NativeLibrary.class.getResourceAsStream("/io/ntk4j/natives/linux-x86_64/libntk4j.so")) {
            assertThat(in).as("the jar's resources carry the native core").isNotNull();
            bundled = in.readAllBytes();
        }
        Path first = extractInto(dir);
        assertThat(first.getFileName().toString()).isEqualTo("libntk4j.so");
        assertThat(Files.readAllBytes(first)).isEqualTo(bundled);
        var written = Files.getLastModifiedTime(first);
        Thread.sleep(20);
        Path again = extractInto(dir);
        assertThat(again).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(again))
                .as("an intact copy is reused, not rewritten")
                .isEqualTo(written);
        Files.write(first, new byte[] {1, 2, 3});
        Path repaired = extractInto(dir);
        assertThat(Files.readAllBytes(repaired))
                .as("an altered copy is replaced")
                .isEqualTo(bundled);
        try (var files = Files.list(first.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("libntk4j.so"); // no .part left
        }
    }

    @Test
    void missingSystemLibrariesAreNamedWithTheirPackages() {
        assertThat(NativeLibrary.dependencyHint("libopenblas.so.0: cannot open shared object file"))
                .contains("apt-get install libopenblas0-pthread liblapacke");
        assertThat(NativeLibrary.dependencyHint("liblapacke.so.3: cannot open shared object file"))
                .contains("libopenblas0-pthread liblapacke");
        assertThat(NativeLibrary.dependencyHint("version `GLIBC_2.34' not found"))
                .contains("build it from source");
        assertThat(NativeLibrary.dependencyHint("some other failure")).isEmpty();
    }
}
