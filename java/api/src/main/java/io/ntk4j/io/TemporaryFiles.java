package io.ntk4j.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
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
    private static final Set<Path> SWEPT = ConcurrentHashMap.newKeySet();
    /** What {@link #createFile} and {@link #createDirectory} name things: the owner's PID inside. */
    private static final Pattern OURS = Pattern.compile("\\..*\\.ntk4j-(\\d{1,18})\\.\\d+(\\.tmp)?");

    /** Set by the shutdown hook: from then on no new temporary is created (the writer gets an IOException). */
    private static volatile boolean closing;

    /** Read side: a temporary being created and registered; write side: the hook waiting for those to finish. */
    private static final ReentrantReadWriteLock CREATING = new ReentrantReadWriteLock();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TemporaryFiles::shutdown, "ntk4j-temporary-files"));
    }

    private TemporaryFiles() {}

    /** A new temporary file in {@code dir} (see {@link Files#createTempFile}), deleted at shutdown unless {@link #done}. */
    public static Path createFile(Path dir, String prefix, String suffix) throws IOException {
        removeStale(dir);
        return create(() -> Files.createTempFile(dir, prefix + tag(), suffix));
    }

    /** A new temporary folder in {@code parent}, deleted (with its content) at shutdown unless {@link #done}. */
    public static Path createDirectory(Path parent, String prefix) throws IOException {
        removeStale(parent);
        return create(() -> Files.createTempDirectory(parent, prefix + tag()));
    }

    private interface Creation {
        Path run() throws IOException;
    }

    // Creation and registration happen under the read side of CREATING, and the hook takes the
    // write side before it deletes: a temporary is never on disk yet unknown to the hook. (Without
    // this, the JVM could halt between mkdir and LIVE.add, leaving the staging folder behind.)
    private static Path create(Creation creation) throws IOException {
        CREATING.readLock().lock();
        try {
            if (closing) {
                throw new IOException("the JVM is shutting down: no new temporary files");
            }
            Path p = creation.run();
            LIVE.add(p);
            return p;
        } finally {
            CREATING.readLock().unlock();
        }
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
        // Once per folder and process: what a dead process left is there when this one starts
        // writing; later writes into the same folder (a model's files, a sweep's points) need no
        // second listing.
        if (!SWEPT.add(dir.toAbsolutePath().normalize())) {
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

    /**
     * The shutdown hook (SIGINT, SIGTERM, System.exit): no new temporaries from now on, then every
     * one in flight deleted. The other threads still run while hooks do, so a writer may be adding
     * a file to a staging folder as it is deleted: deletion is retried until nothing is left (or
     * about half a second has passed).
     */
    static void shutdown() {
        closing = true;
        awaitCreations();
        deleteAll();
    }

    // Creations that began before `closing` was set finish (and register) first; those after see
    // it and refuse. A creation stuck in I/O for over a second is not waited for.
    private static void awaitCreations() {
        try {
            if (CREATING.writeLock().tryLock(1, TimeUnit.SECONDS)) {
                CREATING.writeLock().unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lets temporaries be created again after {@link #shutdown} (for tests of the hook only). */
    static void reopen() {
        closing = false;
    }

    /** Deletes every temporary still in flight, retrying what a concurrent write kept (also for tests). */
    static void deleteAll() {
        for (int attempt = 0; attempt < 50 && !LIVE.isEmpty(); attempt++) {
            for (Path p : LIVE) {
                try {
                    if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        deleteTree(p);
                    }
                    LIVE.remove(p);
                } catch (IOException | RuntimeException e) {
                    // e.g. a file written into a staging folder while it was deleted: try again
                }
            }
            if (!LIVE.isEmpty()) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** How many temporaries are in flight (for tests). */
    static int live() {
        return LIVE.size();
    }
}
