package io.ntk4j;

import io.ntk4j.internal.ffi.Ntk4jNative;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Library-wide settings and facts: native version, thread count, the machine's DGEMM rate.
 *
 * {@snippet :
 * Ntk4j.setThreads(2);  // the native core's threads (the CLI's --threads)
 * System.out.println(Ntk4j.nativeVersion() + ", " + Ntk4j.threads() + " threads, DGEMM "
 *     + Ntk4j.dgemmGflops(1024, 3) + " GFLOP/s");
 * }
 */
public final class Ntk4j {
    private Ntk4j() {}

    /** Version of the native core. */
    public static String nativeVersion() {
        return NativeLibrary.version();
    }

    /**
     * The BLAS library under the native core and the kernels it runs.
     *
     * @param library name and version, e.g. {@code OpenBLAS 0.3.21}
     * @param core the kernel core in use, e.g. {@code Haswell}, {@code SkylakeX}, {@code Zen}
     * @param coreAtLoad the core the library picked by itself when it loaded
     * @param cpu what this CPU and its OS support: {@code avx512}, {@code avx2}, {@code avx}, {@code sse3}
     * @param decision one sentence on why {@code core} is in use (a user-set {@code OPENBLAS_CORETYPE}
     *     is always respected; a generic fallback core is replaced by the CPU's own kernels)
     * @param ownKernel ntk4j's own kernel for the recurrent-weight products of P and P*, chosen for
     *     this CPU at run time: {@code avx512}, {@code avx2+fma} or {@code portable}
     */
    public record BlasInfo(
            String library, String core, String coreAtLoad, String cpu, String decision, String ownKernel) {
        /** One line, e.g. {@code OpenBLAS 0.3.21, kernels Zen (CPU: avx2; ntk4j kernels avx2+fma)}. */
        @Override
        public String toString() {
            return library + ", kernels " + core + " (CPU: " + cpu + "; ntk4j kernels " + ownKernel + ")";
        }
    }

    /** The BLAS library and kernel core the native core runs on (chosen once, at load). */
    public static BlasInfo blas() {
        NativeLibrary.ensureLoaded();
        String[] f = new String[6];
        for (int i = 0; i < f.length; i++) {
            f[i] = Ntk4jNative.ntk4j_blas_info(i).reinterpret(Long.MAX_VALUE).getString(0);
        }
        return new BlasInfo(f[0], f[1], f[2], f[3], f[4], f[5]);
    }

    /** Bounds the threads of the native BLAS (n &gt;= 1). */
    public static void setThreads(int n) {
        NativeLibrary.ensureLoaded();
        NativeLibrary.check(Ntk4jNative.ntk4j_set_num_threads(n), "set threads");
    }

    /**
     * Sets a budget for this process's resident memory in bytes (0: none; the system's available
     * memory always bounds). Before a large allocation (a trajectory, an apply's working blocks, a
     * Krylov basis, a dense matrix, a tensor) ntk4j estimates its bytes and throws
     * {@link ResourceLimitException} when they do not fit. Process-wide.
     */
    public static void setMemoryBudget(long bytes) {
        NativeLibrary.ensureLoaded();
        NativeLibrary.check(Ntk4jNative.ntk4j_set_memory_budget(bytes), "set memory budget");
    }

    /** The memory budget in bytes (0: none). */
    public static long memoryBudget() {
        return memory()[0];
    }

    /** Bytes that may still be allocated under the budget and the system's available memory (-1: unknown). */
    public static long availableMemory() {
        return memory()[1];
    }

    /**
     * Throws {@link ResourceLimitException} unless {@code bytes} of native memory fit under the
     * budget and the system's available memory ({@link #availableMemory}); {@code what} names them
     * in the message.
     */
    public static void requireMemory(double bytes, String what) {
        long available = availableMemory();
        if (available >= 0 && bytes > available) {
            throw new ResourceLimitException(String.format(
                    "%s need%s %.2f GB but %.2f GB are available%s",
                    what,
                    what.startsWith("a ") ? "s" : "",
                    bytes / 1e9,
                    available / 1e9,
                    memoryBudget() > 0 ? " under the memory budget (--max-memory)" : ""));
        }
    }

    /**
     * Throws {@link ResourceLimitException} unless the JVM heap can take {@code bytes} more (Java
     * arrays: weights, parameter vectors): its maximum less what is in use, measured again after a
     * collection when the first look says no. The native budget bounds off-heap memory only; this
     * is the heap's own limit (-Xmx, by default a quarter of the machine), named in the message so
     * the user knows which one to raise.
     */
    public static void requireHeap(double bytes, String what) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > free) {
            System.gc();
            free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        if (bytes > free) {
            throw new ResourceLimitException(String.format(
                    "%s need %.2f GB of Java heap but %.2f GB are left (its maximum is %.2f GB; raise it with"
                            + " JAVA_TOOL_OPTIONS=-Xmx<size>)",
                    what, bytes / 1e9, free / 1e9, rt.maxMemory() / 1e9));
        }
    }

    private static long[] memory() {
        NativeLibrary.ensureLoaded();
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            var b = a.allocate(java.lang.foreign.ValueLayout.JAVA_LONG);
            var v = a.allocate(java.lang.foreign.ValueLayout.JAVA_LONG);
            NativeLibrary.check(Ntk4jNative.ntk4j_get_memory(b, v), "memory");
            return new long[] {
                b.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0), v.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0)
            };
        }
    }

    /**
     * Receives the progress of long native work (Lanczos: converged eigenpairs of k; Hutch++: stages
     * of 3; randomized SVD: converged triplets; partial traces: axes of 3), on the thread that called
     * into the library, between steps.
     */
    @FunctionalInterface
    public interface ProgressListener {
        void progress(long done, long total, String what);
    }

    private static Arena progressArena;

    /**
     * Installs {@code listener} (process-wide; null removes it). Anything it throws is dropped: an
     * exception must not unwind through native frames.
     */
    public static synchronized void setProgress(ProgressListener listener) {
        NativeLibrary.ensureLoaded();
        Arena arena = null;
        MemorySegment stub = MemorySegment.NULL;
        if (listener != null) {
            arena = Arena.ofShared();
            stub = io.ntk4j.internal.ffi.ntk4j_progress_fn.allocate(
                    (user, done, total, what) -> {
                        try {
                            listener.progress(done, total, what.reinterpret(256).getString(0));
                        } catch (Throwable t) {
                            // dropped: see the method documentation
                        }
                    },
                    arena);
        }
        NativeLibrary.check(Ntk4jNative.ntk4j_set_progress(stub, MemorySegment.NULL), "progress");
        if (progressArena != null) {
            progressArena.close(); // its stub is no longer installed
        }
        progressArena = arena;
    }

    /** Threads the native BLAS uses. */
    public static int threads() {
        NativeLibrary.ensureLoaded();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT);
            NativeLibrary.check(Ntk4jNative.ntk4j_get_num_threads(out), "threads");
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** DGEMM rate (GFLOP/s) of n x n products through the core's OpenBLAS, best of {@code repeats}. */
    public static double dgemmGflops(int n, int repeats) {
        NativeLibrary.ensureLoaded();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_DOUBLE);
            NativeLibrary.check(Ntk4jNative.ntk4j_dgemm_gflops(n, repeats, out), "dgemm rate");
            return out.get(ValueLayout.JAVA_DOUBLE, 0);
        }
    }
}
