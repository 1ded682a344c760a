package io.ntk4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.Ntk4jException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The processes a benchmark compares: ntk4j's default {@code spectrum} in its own JVM (as a user
 * runs it) and the NumPy/SciPy peer. Each answers one JSON object on its last line of output.
 */
public final class Processes {
    private Processes() {}

    /** One finished run: its JSON answer and its peak resident memory (-1 when unmeasured). */
    public record Run(JsonNode json, long peakRssKb) {}

    /** The peer script the repository carries (tests/peer/numpy_peer.py under ntk4j.root), or null. */
    public static Path defaultPeer() {
        String root = System.getProperty("ntk4j.root");
        Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        Path p = base.resolve("tests/peer/numpy_peer.py").normalize();
        return Files.isRegularFile(p) ? p : null;
    }

    /** The default spectrum (NTK_S, top 10, ranks) of the model in dir, in its own JVM under GNU time. */
    public static Run spectrum(Path dir, int threads) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        boolean timed = Files.isExecutable(Path.of("/usr/bin/time"));
        if (timed) {
            cmd.addAll(List.of("/usr/bin/time", "-f", "ntk4j-peak-rss-kb %M"));
        }
        cmd.addAll(List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Dntk4j.library=" + System.getProperty("ntk4j.library", ""),
                "-cp",
                System.getProperty("java.class.path"),
                "io.ntk4j.cli.Main",
                "spectrum",
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--op",
                "NTK",
                "--top",
                "10",
                "--json"));
        if (threads > 0) {
            cmd.addAll(List.of("--threads", Integer.toString(threads)));
        }
        Process p = new ProcessBuilder(cmd).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.HOURS) || p.exitValue() != 0) {
            throw new Ntk4jException("bench: spectrum on " + dir + " failed: " + stderr.strip());
        }
        long rss = stderr.lines()
                .filter(l -> l.startsWith("ntk4j-peak-rss-kb "))
                .mapToLong(l -> Long.parseLong(l.substring(18).trim()))
                .findFirst()
                .orElse(-1);
        return new Run(lastJson(stdout), rss);
    }

    /**
     * The peer's {@code what} ("spectrum": ARPACK's top 10; "ranks": kpflow's effdim estimates) on
     * the model in dir; null (with the reason on err) if it fails.
     */
    public static JsonNode peer(Path script, Path dir, String what, PrintWriter err) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                "python3",
                script.toString(),
                what,
                "--model",
                dir.toString(),
                "--inputs",
                dir.resolve("inputs.npy").toString(),
                "--op",
                "NTK"));
        if (what.equals("spectrum")) {
            cmd.addAll(List.of("--top", "10"));
        }
        Process p = new ProcessBuilder(cmd).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.HOURS) || p.exitValue() != 0) {
            err.println("ntk4j bench: the NumPy peer's " + what + " failed: " + stderr.strip());
            return null;
        }
        return lastJson(stdout);
    }

    /** NumPy's DGEMM rate (its own BLAS, its default threads) in GFLOP/s, the best of 2; 0 if unavailable. */
    public static double numpyDgemm(int n) {
        String code = "import numpy as np, time\n"
                + "rng = np.random.default_rng(1); a = rng.standard_normal((N, N)); b = rng.standard_normal((N, N)); a @ b\n"
                + "best = 1e300\n"
                + "for _ in range(2):\n    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)\n"
                + "print(2.0 * N ** 3 / best / 1e9)\n";
        try {
            Process p = new ProcessBuilder("python3", "-c", code.replace("N", Integer.toString(n))).start();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.getErrorStream().readAllBytes();
            return p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0 ? Double.parseDouble(stdout) : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * (f) the default spectrum as the model grows: H = 64 ... 512 at B = 32, B = 16 ... 128 at
     * H = 128 (T = 100, N = 3), and H = 128 on one thread; wall clock, applies, peak RSS, effective
     * rank and its worst relative error per run, each in its own JVM. Progress lines go to err.
     */
    public static List<java.util.Map<String, Object>> scaling(PrintWriter err) throws Exception {
        List<java.util.Map<String, Object>> rows = new ArrayList<>();
        int[][] shapes = {
            {32, 100, 64, 0},
            {32, 100, 128, 0},
            {32, 100, 256, 0},
            {32, 100, 512, 0},
            {16, 100, 128, 0},
            {64, 100, 128, 0},
            {128, 100, 128, 0},
            {32, 100, 128, 1}
        };
        for (int[] sh : shapes) {
            Path d = Files.createTempDirectory("ntk4j-bench-scaling");
            try {
                io.ntk4j.io.ModelDirectory.write(d, BenchModels.leaky(sh[2], 3, 1.0, 4));
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    io.ntk4j.io.Npy.write(d.resolve("inputs.npy"), BenchModels.gaussian(arena, 5, sh[0], sh[1], 3));
                }
                long t0 = System.nanoTime();
                Run run = spectrum(d, sh[3]);
                java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
                row.put("B", sh[0]);
                row.put("T", sh[1]);
                row.put("H", sh[2]);
                row.put("threads", sh[3] == 0 ? io.ntk4j.Ntk4j.threads() : sh[3]);
                row.put("seconds", (System.nanoTime() - t0) / 1e9);
                row.put("applies", run.json().get("applies").asLong());
                row.put("peak_rss_mb", run.peakRssKb() / 1024.0);
                row.put("effective_rank", run.json().get("effective_rank").asDouble());
                row.put(
                        "worst_relative_error",
                        run.json().get("worst_relative_error").asDouble());
                rows.add(row);
                err.printf(
                        "ntk4j bench (f): B=%d T=%d H=%d threads %s: %.1f s%n",
                        sh[0], sh[1], sh[2], row.get("threads"), row.get("seconds"));
            } finally {
                deleteTree(d);
            }
        }
        return rows;
    }

    /** Deletes a temporary tree (the scaling runs' model folders). */
    public static void deleteTree(Path d) throws java.io.IOException {
        try (var files = Files.walk(d)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    private static JsonNode lastJson(String stdout) throws Exception {
        return new ObjectMapper()
                .readTree(stdout.strip().lines().reduce((a, b) -> b).orElse("{}"));
    }
}
