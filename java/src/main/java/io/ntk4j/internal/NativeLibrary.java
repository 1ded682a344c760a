package io.ntk4j.internal;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Ntk4jException;
import io.ntk4j.NumericalException;
import io.ntk4j.internal.ffi.Ntk4jNative;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place that loads libntk4j.so and turns native status codes into typed exceptions
 * (STYLE.md 13). Every downcall of the API goes through {@link #check}.
 *
 * <p>The library is looked up, in order, at the system property {@code ntk4j.library}, the
 * environment variable {@code NTK4J_LIBRARY}, and {@code build/native/native/libntk4j.so} under the
 * working directory or its parents (where {@code ./ntk4j} builds it).
 */
public final class NativeLibrary {
  private static volatile boolean loaded;

  private NativeLibrary() {}

  /** Loads the library once; throws {@link Ntk4jException} with a clear message on failure. */
  public static void ensureLoaded() {
    if (loaded) {
      return;
    }
    synchronized (NativeLibrary.class) {
      if (loaded) {
        return;
      }
      Path lib = locate();
      try {
        System.load(lib.toAbsolutePath().toString());
      } catch (UnsatisfiedLinkError e) {
        throw new Ntk4jException("cannot load the ntk4j native library " + lib + ": " + e.getMessage());
      } catch (IllegalCallerException e) {
        throw new Ntk4jException(
            "native access is not enabled: run java with --enable-native-access=ALL-UNNAMED"
                + " (or the module name of ntk4j)");
      }
      loaded = true;
    }
  }

  private static Path locate() {
    List<String> tried = new ArrayList<>();
    String prop = System.getProperty("ntk4j.library");
    String env = System.getenv("NTK4J_LIBRARY");
    for (String candidate : new String[] {prop, env}) {
      if (candidate != null && !candidate.isBlank()) {
        Path p = Path.of(candidate);
        if (Files.isRegularFile(p)) {
          return p;
        }
        tried.add(candidate);
      }
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path p = dir.resolve("build/native/native/libntk4j.so");
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    tried.add("build/native/native/libntk4j.so under " + Path.of("").toAbsolutePath() + " and its parents");
    throw new Ntk4jException(
        "ntk4j native library not found (tried " + String.join(", ", tried)
            + "); build it with ./ntk4j or set -Dntk4j.library=/path/to/libntk4j.so");
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
      throw new Ntk4jException(message + " (native out of memory)", status, null);
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
