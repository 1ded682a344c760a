package io.ntk4j;

import io.ntk4j.internal.ffi.Ntk4jNative;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The one place that loads libntk4j.so and turns native status codes into typed exceptions
 * (docs/STYLE.md 13). Every downcall of the API goes through {@link #check}.
 *
 * <p>The library is looked up, in order (docs/architecture.md, "Loading the native core"):
 *
 * <ol>
 *   <li>an explicit path: the system property {@code ntk4j.library}, else the environment variable
 *       {@code NTK4J_LIBRARY} (what {@code ./ntk4j} and the tests use: the CMake build);
 *   <li>{@code libntk4j.so} in a directory of {@code java.library.path};
 *   <li>the copy the jar carries for this platform ({@code io/ntk4j/natives/linux-x86_64/}),
 *       extracted once into {@code ntk4j.extract.dir} (default: a per-user folder under
 *       {@code java.io.tmpdir}) under a name that includes its SHA-256, and reused while it is
 *       unchanged.
 * </ol>
 *
 * An explicit path that does not exist is an error, never silently skipped. Whatever is loaded
 * must report the ABI version these bindings were generated for ({@code NTK4J_ABI_VERSION}).
 */
public final class NativeLibrary {
    private static volatile boolean loaded;
    private static volatile String source = "not loaded";

    /** The platform folder of the bundled copy, e.g. {@code linux-x86_64}; null when none fits. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(java.util.Locale.ROOT);
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return "linux-x86_64";
        }
        return null;
    }

    static final String LIBRARY_FILE = "libntk4j.so";

    private NativeLibrary() {}

    /** Where the loaded library came from (for --version and error messages). */
    public static String source() {
        return source;
    }

    /** Loads the library once; throws {@link Ntk4jException} with a clear message on failure. */
    public static void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (NativeLibrary.class) {
            if (loaded) {
                return;
            }
            Located lib = locate();
            try {
                System.load(lib.path().toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                throw new Ntk4jException("cannot load the ntk4j native library " + lib.path() + " (" + lib.how() + "): "
                        + e.getMessage() + dependencyHint(e.getMessage()));
            } catch (IllegalCallerException e) {
                throw new Ntk4jException(
                        "native access is not enabled: run java with --enable-native-access=ALL-UNNAMED"
                                + " (or the module name of ntk4j)");
            }
            checkAbi(lib);
            source = lib.path() + " (" + lib.how() + ")";
            loaded = true;
        }
    }

    /** The ABI version the loaded library reports must be the one the bindings were generated for. */
    private static void checkAbi(Located lib) {
        int expected = Ntk4jNative.NTK4J_ABI_VERSION();
        int actual;
        try {
            actual = Ntk4jNative.ntk4j_abi_version();
        } catch (RuntimeException | UnsatisfiedLinkError e) { // a library older than the ABI call
            throw new Ntk4jException("the native library " + lib.path() + " (" + lib.how()
                    + ") has no ntk4j_abi_version(): it is older than this ntk4j jar (ABI " + expected
                    + "); rebuild it (./ntk4j) or drop the explicit path to use the jar's own copy");
        }
        if (actual != expected) {
            throw new Ntk4jException("the native library " + lib.path() + " (" + lib.how() + ") has ABI version "
                    + actual + " but this ntk4j jar needs ABI " + expected
                    + ": the jar and the library come from different builds; rebuild the library (./ntk4j)"
                    + " or drop the explicit path to use the jar's own copy");
        }
    }

    /** What to install when the dynamic loader cannot find one of the library's dependencies. */
    static String dependencyHint(String loaderMessage) {
        if (loaderMessage == null) {
            return "";
        }
        if (loaderMessage.contains("libopenblas")
                || loaderMessage.contains("liblapacke")
                || loaderMessage.contains("libgfortran")
                || loaderMessage.contains("libblas")
                || loaderMessage.contains("liblapack")) {
            return ". ntk4j's native core needs OpenBLAS and LAPACKE from the system: on Debian or Ubuntu,"
                    + " apt-get install libopenblas0-pthread liblapacke";
        }
        if (loaderMessage.contains("libstdc++") || loaderMessage.contains("GLIBC")) {
            return ". The bundled library was built on Debian 12 (glibc 2.36, libstdc++ of GCC 12);"
                    + " on an older system build it from source (./ntk4j) and set -Dntk4j.library";
        }
        return "";
    }

    record Located(Path path, String how) {}

    private static Located locate() {
        String prop = System.getProperty("ntk4j.library");
        String env = System.getenv("NTK4J_LIBRARY");
        for (String[] candidate : new String[][] {{prop, "-Dntk4j.library"}, {env, "NTK4J_LIBRARY"}}) {
            if (candidate[0] != null && !candidate[0].isBlank()) {
                Path p = Path.of(candidate[0]);
                if (!Files.isRegularFile(p)) {
                    throw new Ntk4jException(candidate[1] + "=" + candidate[0] + " is not a file: point it at a built"
                            + " libntk4j.so, or unset it to use the copy inside the ntk4j jar");
                }
                return new Located(p, "from " + candidate[1]);
            }
        }
        String libraryPath = System.getProperty("java.library.path", "");
        for (String dir : libraryPath.split(java.io.File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path p = Path.of(dir).resolve(LIBRARY_FILE);
            if (Files.isRegularFile(p)) {
                return new Located(p, "from java.library.path");
            }
        }
        return new Located(extractBundled(), "the copy inside the ntk4j jar");
    }

    /** Extracts the jar's copy for this platform (once per content) and returns its path. */
    static Path extractBundled() {
        String platform = platform();
        if (platform == null) {
            throw new Ntk4jException("ntk4j carries a native library for linux-x86_64 only, not for "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                    + ": build native/ from source and set -Dntk4j.library=/path/to/libntk4j.so");
        }
        String resource = "/io/ntk4j/natives/" + platform + "/" + LIBRARY_FILE;
        byte[] bytes;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new Ntk4jException("ntk4j native library not found: not set by -Dntk4j.library or NTK4J_LIBRARY,"
                        + " not in java.library.path, and this ntk4j jar carries no " + resource
                        + " (a build without the native core?); build it with ./ntk4j or set -Dntk4j.library");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new Ntk4jException("cannot read the bundled native library " + resource + ": " + e.getMessage());
        }
        String digest = sha256(bytes);
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        Path base = Path.of(System.getProperty(
                "ntk4j.extract.dir",
                Path.of(System.getProperty("java.io.tmpdir"), "ntk4j-" + user).toString()));
        Path dir = base.resolve(Ntk4jNative.NTK4J_ABI_VERSION() + "-" + digest.substring(0, 16));
        Path target = dir.resolve(LIBRARY_FILE);
        try {
            if (Files.isRegularFile(target)
                    && sha256(Files.readAllBytes(target)).equals(digest)) {
                return target;
            }
            Files.createDirectories(dir);
            // Written beside the target and moved into place atomically: concurrent JVMs extracting
            // the same copy never see (or load) a partial file.
            Path tmp = Files.createTempFile(dir, LIBRARY_FILE, ".part");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new Ntk4jException("cannot extract the bundled native library to " + dir + ": " + e
                    + " (set -Dntk4j.extract.dir to a writable folder, or -Dntk4j.library to a built libntk4j.so)");
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * The exception a Java operator's callback threw during the current native call on this thread
     * (upcalls must not throw into native code: they store it here and return a failure status).
     */
    public static final ThreadLocal<Throwable> CALLBACK_FAILURE = new ThreadLocal<>();

    /**
     * Turns a native status into an exception carrying the native message; returns on success. A
     * failed Java callback's own exception is rethrown as is.
     */
    public static void check(int status, String what) {
        Throwable pending = CALLBACK_FAILURE.get();
        CALLBACK_FAILURE.remove();
        if (status == Ntk4jNative.NTK4J_OK()) {
            return;
        }
        if (status == Ntk4jNative.NTK4J_ERR_CALLBACK() && pending != null) {
            if (pending instanceof RuntimeException r) {
                throw r;
            }
            if (pending instanceof Error e) {
                throw e;
            }
            throw new Ntk4jException(what + ": callback failed: " + pending, status, pending);
        }
        String message = what + ": " + lastError();
        if (status == Ntk4jNative.NTK4J_ERR_NULL_ARGUMENT()
                || status == Ntk4jNative.NTK4J_ERR_INVALID_ARGUMENT()
                || status == Ntk4jNative.NTK4J_ERR_SHAPE()
                || status == Ntk4jNative.NTK4J_ERR_NON_FINITE()) {
            throw new InvalidInputException(message, status, null);
        }
        if (status == Ntk4jNative.NTK4J_ERR_NUMERICAL()) {
            throw new NumericalException(message, status);
        }
        if (status == Ntk4jNative.NTK4J_ERR_OUT_OF_MEMORY()) {
            throw new ResourceLimitException(message, status);
        }
        throw new Ntk4jException(message + " (native status " + status + ")", status, null);
    }

    /** The native thread-local error text of the last failed call on this thread. */
    public static String lastError() {
        MemorySegment text = Ntk4jNative.ntk4j_last_error();
        return text.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** The native library's version string. */
    public static String version() {
        ensureLoaded();
        return Ntk4jNative.ntk4j_version().reinterpret(Long.MAX_VALUE).getString(0);
    }
}
