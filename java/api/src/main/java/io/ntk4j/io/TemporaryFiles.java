package io.ntk4j.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The temporary files and staging folders of ntk4j's atomic writes (a file or folder is written
 * under a temporary name, then renamed into place whole). Those still in flight when the JVM shuts
 * down (SIGINT, SIGTERM, System.exit) are deleted by a shutdown hook, so an interrupted run leaves
 * neither a partial output nor its temporary. SIGKILL runs no hook: what it leaves is a hidden
 * sibling named {@code .PREFIX.ntk4j-PID.RANDOM[.tmp]}, never a partial output, and the next
 * temporary created in that folder deletes it once no process PID is running
 * ({@link #removeStale}).
 */
public final class TemporaryFiles {
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static final long PID = ProcessHandle.current().pid();
    /** What {@link #createFile} and {@link #createDirectory} name things: the owner's PID inside. */
    private static final Pattern OURS = Pattern.compile("\\..*\\.ntk4j-(\\d{1,18})\\.\\d+(\\.tmp)?");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TemporaryFiles::deleteAll, "ntk4j-temporary-files"));
    }

    private TemporaryFiles() {}

    /** A new temporary file in {@code dir} (see {@link Files#createTempFile}), deleted at shutdown unless {@link #done}. */
    public static Path createFile(Path dir, String prefix, String suffix) throws IOException {
        removeStale(dir);
        Path p = Files.createTempFile(dir, prefix + tag(), suffix);
        LIVE.add(p);
        return p;
    }

    /** A new temporary folder in {@code parent}, deleted (with its content) at shutdown unless {@link #done}. */
    public static Path createDirectory(Path parent, String prefix) throws IOException {
        removeStale(parent);
        Path p = Files.createTempDirectory(parent, prefix + tag());
        LIVE.add(p);
        return p;
    }

    private static String tag() {
        return "ntk4j-" + PID + ".";
    }

    /**
     * Deletes the temporaries in {@code dir} whose process is no longer running (left by a SIGKILL)
     * and returns how many. Only names of the form above are touched, and only when their PID is
     * not alive here: a live run's temporaries (this process's or another's) are never removed.
     * (A folder shared between machines could see another host's PID as dead; ntk4j's outputs are
     * meant for one machine at a time.)
     */
    public static int removeStale(Path dir) {
        int removed = 0;
        if (dir == null || !Files.isDirectory(dir)) {
            return 0;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, ".*")) {
            for (Path p : entries) {
                Matcher m = OURS.matcher(p.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid = Long.parseLong(m.group(1));
                if (pid == PID || ProcessHandle.of(pid).isPresent()) {
                    continue;
                }
                try {
                    deleteTree(p);
                    removed++;
                } catch (IOException e) {
                    // best effort: a hidden leftover is never mistaken for an output
                }
            }
        } catch (IOException e) {
            // unreadable folder: the write that follows reports the real problem
        }
        return removed;
    }

    /**
     * Writes {@code bytes} to {@code file} whole: into a hidden temporary beside it, then renamed
     * over it (an interrupted write leaves the old file or none, never a partial one).
     */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = createFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(
                    tmp,
                    file,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
            done(tmp);
        }
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
