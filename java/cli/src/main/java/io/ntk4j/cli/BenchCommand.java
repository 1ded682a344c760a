package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Ntk4j;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.bench.BenchModels;
import io.ntk4j.bench.Processes;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.EigenResult;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j bench}: the performance figures of README, measured side by side in one run (these
 * machines are shared and noisy, so only ratios within a run are meaningful):
 * (a) the DGEMM rate through the core's OpenBLAS, (b) the block NTK_S apply rate at rnn_leaky
 * B=32, T=100, H=256, N=3, k=16 as GFLOP/s and as a fraction of (a), (c) top-10 NTK_S eigenvalues
 * at rnn_leaky B=32, T=100, H=128, N=3, and (d) the same eigenvalues by the NumPy/SciPy peer
 * (stored Jacobians, ARPACK one vector at a time) when its script is available.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Measures DGEMM (beside NumPy's), the block NTK_S apply rate, top-10 NTK_S eigenvalues and the whole "
                        + "default spectrum (vs the NumPy peer), and with --scaling how the cost grows.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--peer",
            paramLabel = "numpy_peer.py",
            description = "the NumPy/SciPy peer script (default: the repository's tests/peer/numpy_peer.py)")
    Path peer;

    @Option(names = "--no-peer", description = "skip the NumPy/SciPy comparison")
    boolean noPeer;

    @Option(names = "--native", description = "run the native Google Benchmark executable instead")
    boolean nativeBench;

    @Option(
            names = "--jmh",
            description = "run the JMH benchmarks (Java-to-native call overhead, small applies) instead")
    boolean jmh;

    @Option(
            names = "--repeats",
            defaultValue = "5",
            description =
                    "timed repetitions of DGEMM and of the apply, alternated; the best of each is kept (default ${DEFAULT-VALUE})")
    int repeats;

    @Option(
            names = "--rounds",
            defaultValue = "5",
            description =
                    "interleaved rounds of the eigenvalue runs, ours then the peer's; the best of each is compared (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(
            names = "--whole-rounds",
            defaultValue = "1",
            description =
                    "rounds of (e), the whole default spectrum against the peer's spectrum + ranks (default ${DEFAULT-VALUE})")
    int wholeRounds;

    @Option(
            names = "--scaling",
            description = "also (f): the default spectrum at H = 64 ... 512 and B = 16 ... 128, "
                    + "peak memory, 1 vs 2 threads (several minutes)")
    boolean scaling;

    @Option(
            names = "--report",
            paramLabel = "DIR",
            description = "write (f) as a table and log-log plots into DIR (implies --scaling)")
    Path report;

    @Option(
            names = "--natural-gradient",
            description = "only the natural gradient's cost per step against SGD, H = 64 ... 256")
    boolean naturalGradient;

    /** The single-vector configuration reported next to the defaults. */
    static final int BLOCK1_BLOCK = 1, BLOCK1_BASIS = 100;

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (rounds < 1 || repeats < 1 || wholeRounds < 1) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--rounds, --repeats and --whole-rounds must be >= 1, got " + rounds + ", " + repeats + " and "
                            + wholeRounds);
        }
        if (nativeBench) {
            return runNative(out);
        }
        if (jmh) {
            return runJmh();
        }
        if (naturalGradient) {
            return io.ntk4j.bench.NaturalGradientCost.report(out, json);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        Ntk4j.BlasInfo blas = Ntk4j.blas();
        r.put("blas_library", blas.library());
        r.put("blas_core", blas.core());
        r.put("blas_core_at_load", blas.coreAtLoad());
        r.put("blas_cpu", blas.cpu());
        r.put("blas_decision", blas.decision());
        r.put("ntk4j_kernel", blas.ownKernel());
        // (a) DGEMM and (b) the block NTK_S apply, timed alternately `repeats` times (so that both
        // see the same machine conditions), the best of each kept.
        double dgemm = 0, numpyDgemm = 0;
        {
            int b = 32, t = 100, h = 256, n = 3, k = 16;
            Model m = BenchModels.leaky(h, n, 1.0, 1);
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(m, BenchModels.gaussian(arena, 2, b, t, n))) {
                Tensor q = BenchModels.gaussian(arena, 3, k, b, t, h), y = Tensor.allocate(arena, q.shape());
                s.ntk().apply(q, y); // warm-up
                double best = Double.MAX_VALUE;
                boolean numpy = !noPeer;
                for (int i = 0; i < repeats; i++) {
                    dgemm = Math.max(dgemm, Ntk4j.dgemmGflops(2048, 1));
                    if (numpy) { // NumPy's own BLAS beside it, alternated with ours (same machine conditions)
                        double g = Processes.numpyDgemm(2048);
                        numpy = g > 0;
                        numpyDgemm = Math.max(numpyDgemm, g);
                    }
                    long t0 = System.nanoTime();
                    s.ntk().apply(q, y);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                // GEMM flops per probe: P and P* one H x H product per step, K two per site.
                double flops = k * (2 * 2.0 * h * h * b * (t - 1) + 2 * 2.0 * h * (h + n) * b * t);
                r.put("dgemm_gflops", dgemm);
                if (numpyDgemm > 0) {
                    r.put("numpy_dgemm_gflops", numpyDgemm);
                    r.put("dgemm_fraction_of_numpy", dgemm / numpyDgemm);
                }
                r.put("threads", Ntk4j.threads());
                r.put("ntk_apply_seconds", best);
                r.put("ntk_apply_gflops", flops / best / 1e9);
                r.put("ntk_apply_fraction_of_dgemm", flops / best / 1e9 / dgemm);
            }
            // (b') the same for an lstm (state [h; c]: its P and P* run the general per-step
            // product, not the fused one-block kernels), best of `repeats`, at H = 128 (4H = 512 gate rows).
            int hl = 128;
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(BenchModels.lstm(hl, n, 1), BenchModels.gaussian(arena, 2, b, t, n))) {
                Tensor q = BenchModels.gaussian(arena, 3, k, b, t, 2 * hl), y = Tensor.allocate(arena, q.shape());
                double best = BenchModels.bestApply(s.ntk(), q, y, repeats);
                // P and P*: one 4H x H product per step; K: two per (4H rows, H + N + 2 columns) site.
                double flops = k * (2 * 2.0 * 4 * hl * hl * b * (t - 1) + 2 * 2.0 * 4 * hl * (hl + n + 2) * b * t);
                r.put("lstm_ntk_apply_seconds", best);
                r.put("lstm_ntk_apply_gflops", flops / best / 1e9);
                r.put("lstm_ntk_apply_fraction_of_dgemm", flops / best / 1e9 / dgemm);
            }
            // (b'') the attention_mlp block of the Global-NTK paper (BenchModels.attention).
            io.ntk4j.AttentionMlpConfig cfg = BenchModels.attentionConfig();
            int ba = 15, ta = cfg.maxSeqLen();
            try (Arena arena = Arena.ofConfined();
                    Session s = Session.open(
                            BenchModels.attention(cfg), BenchModels.gaussian(arena, 2, ba, ta, cfg.dInput()))) {
                Tensor q = BenchModels.gaussian(arena, 3, k, ba, ta, cfg.stateWidth()),
                        y = Tensor.allocate(arena, q.shape());
                double best = BenchModels.bestApply(s.ntk(), q, y, repeats);
                double flops = k * BenchModels.attentionNtkFlops(cfg, ba);
                r.put("attention_ntk_apply_seconds", best);
                r.put("attention_ntk_apply_gflops", flops / best / 1e9);
                r.put("attention_ntk_apply_fraction_of_dgemm", flops / best / 1e9 / dgemm);
            }
        }
        // (c) top-10 NTK_S eigenvalues, model written to disk so the peer can read the same one.
        // (d) the peer on the same model. Both are timed in each of `rounds` interleaved rounds (ours,
        // then the peer's), so that both see the same machine conditions; the best time of each is
        // compared (the least disturbed run of each side), and the per-round ratios are kept too.
        Path dir = Files.createTempDirectory("ntk4j-bench");
        try {
            int b = 32, t = 100, h = 128, n = 3;
            Model m = BenchModels.leaky(h, n, 1.0, 4);
            ModelDirectory.write(dir, m);
            Path script = peer != null ? peer : Processes.defaultPeer();
            boolean withPeer = !noPeer && script != null && Files.isRegularFile(script);
            List<Double> ours = new ArrayList<>(), oursBlock1 = new ArrayList<>(), theirs = new ArrayList<>();
            EigenResult eig = null, small = null;
            JsonNode p = null;
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = BenchModels.gaussian(arena, 5, b, t, n);
                Npy.write(dir.resolve("inputs.npy"), x);
                for (int round = 0; round < rounds; round++) {
                    long t0 = System.nanoTime();
                    try (Session s = Session.open(m, x);
                            LinearOperator j = s.P().compose(s.jtheta())) {
                        eig = Eigs.topOfGram(j, EigsOptions.top(10)); // NTK_S = J J^T, J = P J_theta
                    }
                    ours.add((System.nanoTime() - t0) / 1e9);
                    // The same with single-vector Lanczos (ARPACK-like apply counts when the top eigenvalues
                    // are simple, as here; a repeated eigenvalue could be missed, hence not the default) and
                    // a basis large enough that it never restarts.
                    long t1 = System.nanoTime();
                    try (Session s = Session.open(m, x);
                            LinearOperator j = s.P().compose(s.jtheta())) {
                        small = Eigs.topOfGram(
                                j, EigsOptions.top(10).withBlock(BLOCK1_BLOCK).withMaxBasis(BLOCK1_BASIS));
                    }
                    oursBlock1.add((System.nanoTime() - t1) / 1e9);
                    if (withPeer) {
                        JsonNode run = Processes.peer(
                                script, dir, "spectrum", spec.commandLine().getErr());
                        if (run == null) {
                            withPeer = false;
                            p = null;
                        } else {
                            p = run;
                            theirs.add(run.get("seconds_total").asDouble());
                        }
                    }
                }
            }
            double seconds = min(ours), secondsBlock1 = min(oursBlock1);
            r.put("rounds", rounds);
            r.put("top10_seconds", seconds);
            r.put("top10_seconds_rounds", ours);
            r.put("top10_block_applies", eig.blockApplies());
            r.put("top10_vector_applies", eig.vectorApplies());
            r.put("top10_converged", eig.converged());
            r.put("top10_eigenvalues", eig.values());
            r.put("top10_block1_options", "--block " + BLOCK1_BLOCK + " --basis " + BLOCK1_BASIS);
            r.put("top10_block1_seconds", secondsBlock1);
            r.put("top10_block1_seconds_rounds", oursBlock1);
            r.put("top10_block1_vector_applies", small.vectorApplies());
            r.put("top10_block1_converged", small.converged());
            if (withPeer && p != null) {
                double peerSeconds = min(theirs);
                double maxRel = 0, maxRelBlock1 = 0;
                for (int i = 0; i < 10; i++) {
                    double want = p.get("eigenvalues").get(i).asDouble();
                    maxRel = Math.max(maxRel, Math.abs(eig.values()[i] - want) / Math.abs(want));
                    maxRelBlock1 = Math.max(maxRelBlock1, Math.abs(small.values()[i] - want) / Math.abs(want));
                }
                List<Double> roundRatios = new ArrayList<>();
                for (int i = 0; i < theirs.size(); i++) {
                    roundRatios.add(theirs.get(i) / oursBlock1.get(i));
                }
                r.put("peer_seconds", peerSeconds);
                r.put("peer_seconds_rounds", theirs);
                r.put("peer_matvecs", p.get("matvecs").asLong());
                r.put("speedup_vs_peer", peerSeconds / seconds);
                r.put("speedup_vs_peer_block1", peerSeconds / secondsBlock1);
                r.put("speedup_vs_peer_block1_rounds", roundRatios);
                r.put("eigenvalues_max_rel_diff_vs_peer", maxRel);
                r.put("eigenvalues_block1_max_rel_diff_vs_peer", maxRelBlock1);
            } else {
                r.put("peer", withPeer ? "failed (see stderr)" : "skipped (no numpy_peer.py; pass --peer)");
            }
            whole(r, dir, withPeer ? script : null);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(r));
        } else {
            BenchSummary.print(out, r, blas, dgemm, rounds);
        }
        return Main.EXIT_OK;
    }

    /**
     * (e) the whole default {@code spectrum} (as a user runs it: its own process, wall clock) beside
     * the peer's {@code spectrum} + {@code ranks} on the same model, and (f) the scaling runs.
     */
    private void whole(Map<String, Object> r, Path dir, Path script) throws Exception {
        List<Double> ours = new ArrayList<>(), theirs = new ArrayList<>();
        JsonNode last = null;
        double maxRel = Double.NaN;
        for (int round = 0; round < wholeRounds; round++) {
            long t0 = System.nanoTime();
            last = Processes.spectrum(dir, 0).json();
            ours.add((System.nanoTime() - t0) / 1e9);
            if (script != null) {
                long t1 = System.nanoTime();
                JsonNode eig = Processes.peer(
                        script, dir, "spectrum", spec.commandLine().getErr());
                JsonNode ranks =
                        Processes.peer(script, dir, "ranks", spec.commandLine().getErr());
                if (eig == null || ranks == null) {
                    script = null;
                    continue;
                }
                theirs.add((System.nanoTime() - t1) / 1e9);
                maxRel = 0;
                for (int i = 0; i < 10; i++) {
                    double want = eig.get("eigenvalues").get(i).asDouble();
                    maxRel = Math.max(
                            maxRel, Math.abs(last.get("eigenvalues").get(i).asDouble() - want) / Math.abs(want));
                }
            }
        }
        r.put("whole_seconds", min(ours));
        r.put("whole_seconds_rounds", ours);
        r.put("whole_applies", last.get("applies").asLong());
        r.put("whole_worst_relative_error", last.get("worst_relative_error").asDouble());
        r.put("whole_accuracy_met", last.get("accuracy_met").asBoolean());
        r.put("whole_effective_rank", last.get("effective_rank").asDouble());
        r.put(
                "whole_effective_rank_std_error",
                last.get("effective_rank_std_error").asDouble());
        if (!theirs.isEmpty()) {
            r.put("whole_peer_seconds", min(theirs));
            r.put("whole_peer_seconds_rounds", theirs);
            r.put("whole_speedup_vs_peer", min(theirs) / min(ours));
            r.put("whole_eigenvalues_max_rel_diff_vs_peer", maxRel);
        }
        if (scaling || report != null) {
            List<Map<String, Object>> rows =
                    Processes.scaling(spec.commandLine().getErr());
            r.put("scaling", rows);
            if (report != null) {
                BenchSummary.writeScalingReport(report, rows);
            }
        }
    }

    private int runNative(PrintWriter out) throws Exception {
        String lib = System.getProperty("ntk4j.library", "");
        Path exe = lib.isEmpty() ? null : Path.of(lib).getParent().resolve("bench/ntk4j_native_bench");
        if (exe == null || !Files.isExecutable(exe)) {
            throw new io.ntk4j.InvalidInputException("native benchmark executable not found (" + exe
                    + "); it is built by ./ntk4j with Debian's libbenchmark-dev");
        }
        Process p = new ProcessBuilder(exe.toString()).inheritIO().start();
        return p.waitFor() == 0 ? Main.EXIT_OK : Main.EXIT_INTERNAL;
    }

    private int runJmh() throws Exception {
        String root = System.getProperty("ntk4j.root", ".");
        Path target = Path.of(root, "java", "api", "target");
        if (!Files.isDirectory(target.resolve("test-classes")) || !Files.isDirectory(target.resolve("test-lib"))) {
            throw new io.ntk4j.InvalidInputException(
                    "JMH classes not built under " + target + " (run ./ntk4j test once)");
        }
        String cp = String.join(
                java.io.File.pathSeparator,
                target.resolve("test-classes").toString(),
                target.resolve("classes").toString(),
                target.resolve("test-lib").toString() + "/*");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(
                        java,
                        "--enable-native-access=ALL-UNNAMED",
                        "-Dntk4j.library=" + System.getProperty("ntk4j.library", ""),
                        "-cp",
                        cp,
                        "org.openjdk.jmh.Main",
                        "io.ntk4j.bench.*",
                        "-jvmArgsAppend",
                        "-Dntk4j.library=" + System.getProperty("ntk4j.library", ""))
                .inheritIO()
                .start();
        return p.waitFor() == 0 ? Main.EXIT_OK : Main.EXIT_INTERNAL;
    }
}
