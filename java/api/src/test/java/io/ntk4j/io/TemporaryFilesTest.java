package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an interrupted run leaves behind (issue 13): the shutdown hook's cleanup, and the writes that hand theirs back. */
class TemporaryFilesTest {
    @TempDir
    Path tmp;

    @Test
    void inFlightTemporariesAreDeletedAtShutdownAndFinishedOnesAreNot() throws Exception {
        int before = TemporaryFiles.live();
        Path file = TemporaryFiles.createFile(tmp, ".out.npy.", ".tmp");
        Path staging = TemporaryFiles.createDirectory(tmp, ".report.");
        Files.writeString(staging.resolve("index.html"), "<html></html>");
        Files.createDirectories(staging.resolve("plots"));
        Files.writeString(staging.resolve("plots/a.svg"), "<svg/>");
        Path kept = TemporaryFiles.createFile(tmp, ".kept.", ".tmp");
        TemporaryFiles.done(kept); // e.g. renamed into place: no longer ours to delete
        TemporaryFiles.deleteAll(); // what the shutdown hook runs on SIGINT/SIGTERM
        assertThat(file).doesNotExist();
        assertThat(staging).doesNotExist();
        assertThat(kept).exists();
        assertThat(TemporaryFiles.live()).isLessThanOrEqualTo(before);
    }

    @Test
    void completedWritesLeaveNothingInFlight() throws Exception {
        int before = TemporaryFiles.live();
        try (Arena arena = Arena.ofConfined()) {
            Npy.write(tmp.resolve("x.npy"), Tensor.allocate(arena, 3, 2));
        }
        assertThat(TemporaryFiles.live()).isEqualTo(before);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("x.npy");
        }
    }

    @Test
    void leftoversOfDeadProcessesAreRemovedByTheNextWriteAndLiveOnesAreKept() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            long dead = gone.pid(),
                    live = alive.pid(),
                    self = ProcessHandle.current().pid();
            // What a SIGKILL leaves: a hidden output temporary and a staging folder with content.
            Path deadFile = Files.createFile(tmp.resolve(".y.npy.ntk4j-" + dead + ".123.tmp"));
            Path deadDir = Files.createDirectories(tmp.resolve(".report.ntk4j-" + dead + ".456"));
            Files.writeString(deadDir.resolve("index.html"), "<html></html>");
            Path liveFile = Files.createFile(tmp.resolve(".z.npy.ntk4j-" + live + ".789.tmp"));
            Path ownFile = Files.createFile(tmp.resolve(".w.npy.ntk4j-" + self + ".1.tmp"));
            Path userFile = Files.createFile(tmp.resolve(".notes.ntk4j-x.tmp")); // not of our form
            Path visible = Files.createFile(tmp.resolve("y.ntk4j-" + dead + ".1.tmp")); // not hidden
            try (Arena arena = Arena.ofConfined()) {
                Npy.write(tmp.resolve("y.npy"), Tensor.allocate(arena, 2));
            }
            assertThat(deadFile).doesNotExist();
            assertThat(deadDir).doesNotExist();
            assertThat(liveFile).exists();
            assertThat(ownFile).exists();
            assertThat(userFile).exists();
            assertThat(visible).exists();
            try (var files = Files.list(tmp)) { // nothing stale left: only the live, own and foreign names and y.npy
                assertThat(files.map(f -> f.getFileName().toString()))
                        .containsExactlyInAnyOrder(
                                liveFile.getFileName().toString(),
                                ownFile.getFileName().toString(),
                                userFile.getFileName().toString(),
                                visible.getFileName().toString(),
                                "y.npy");
            }
        } finally {
            alive.destroyForcibly().waitFor();
        }
    }

    @Test
    void noTemporaryCreatedWhileTheHookRunsOutlivesIt() throws Exception {
        // A writer creating staging folders as fast as it can while the hook runs: once the hook
        // returns (the JVM halts then), nothing it created may be left, and later creations refuse.
        for (int round = 0; round < 200; round++) {
            Path dir = Files.createDirectory(tmp.resolve("round" + round));
            var refused = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = new Thread(() -> {
                while (true) {
                    try {
                        TemporaryFiles.createDirectory(dir, ".report.");
                    } catch (java.io.IOException e) {
                        refused.set(true);
                        return;
                    }
                }
            });
            writer.start();
            Thread.sleep(0, 200_000);
            try {
                TemporaryFiles.shutdown();
                try (var files = Files.list(dir)) {
                    assertThat(files.toList()).as("round %d", round).isEmpty();
                }
            } finally {
                writer.join();
                TemporaryFiles.reopen(); // the other tests in this JVM create temporaries
            }
            assertThat(refused).isTrue();
        }
    }
}
