package io.ntk4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The temporary files and staging folders of ntk4j's atomic writes (a file or folder is written
 * under a temporary name, then renamed into place whole). Those still in flight when the JVM shuts
 * down (SIGINT, SIGTERM, System.exit) are deleted by a shutdown hook, so an interrupted run leaves
 * neither a partial output nor its temporary. (SIGKILL runs no hook: what it leaves is a hidden
 * {@code .NAME.*.tmp} sibling, never a partial NAME.)
 */
public final class TemporaryFiles {
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TemporaryFiles::deleteAll, "ntk4j-temporary-files"));
    }

    private TemporaryFiles() {}

    /** A new temporary file in {@code dir} (see {@link Files#createTempFile}), deleted at shutdown unless {@link #done}. */
    public static Path createFile(Path dir, String prefix, String suffix) throws IOException {
        Path p = Files.createTempFile(dir, prefix, suffix);
        LIVE.add(p);
        return p;
    }

    /** A new temporary folder in {@code parent}, deleted (with its content) at shutdown unless {@link #done}. */
    public static Path createDirectory(Path parent, String prefix) throws IOException {
        Path p = Files.createTempDirectory(parent, prefix);
        LIVE.add(p);
        return p;
    }

    /** {@code p} was renamed into place or deleted: nothing to clean up any more. */
    public static void done(Path p) {
        LIVE.remove(p);
    }

    /** Deletes a file, or a folder with everything in it. */
    public static void deleteTree(Path p) throws IOException {
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    /** Deletes every temporary still in flight (the shutdown hook; also for tests). */
    static void deleteAll() {
        for (Path p : LIVE) {
            try {
                deleteTree(p);
            } catch (IOException | RuntimeException ignored) {
                // best effort at shutdown: the file may be gone already
            }
            LIVE.remove(p);
        }
    }

    /** How many temporaries are in flight (for tests). */
    static int live() {
        return LIVE.size();
    }
}
