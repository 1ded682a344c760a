package io.ntk4j.cli;

import io.ntk4j.Ntk4j;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code bench}'s human-readable summary of its results and the scaling report (BenchCommand measures). */
final class BenchSummary {
    private BenchSummary() {}

    /** The summary of one bench run's results {@code r} (the same figures as {@code --json}). */
    static void print(PrintWriter out, Map<String, Object> r, Ntk4j.BlasInfo blas, double dgemm, int rounds) {
        out.printf("ntk4j bench (one run; compare ratios, not absolute times)%n");
        out.printf("  BLAS: %s%n        %s%n", blas, blas.decision());
        out.printf("  (a) DGEMM 2048^3 through the core's BLAS: %.1f GFLOP/s (%s threads)%n", dgemm, r.get("threads"));
        out.printf(
                "  (b) NTK_S block apply, rnn_leaky B=32 T=100 H=256 N=3 k=16: %.3f s, %.1f GFLOP/s = %.0f%% of DGEMM%n",
                r.get("ntk_apply_seconds"),
                r.get("ntk_apply_gflops"),
                100 * (double) r.get("ntk_apply_fraction_of_dgemm"));
        out.printf(
                "  (b') the same for lstm B=32 T=100 H=128 (state 2H, 4H gate rows) N=3 k=16: %.3f s, %.1f GFLOP/s"
                        + " = %.0f%% of DGEMM (general per-step kernels)%n",
                r.get("lstm_ntk_apply_seconds"),
                r.get("lstm_ntk_apply_gflops"),
                100 * (double) r.get("lstm_ntk_apply_fraction_of_dgemm"));
        out.printf(
                "  (b'') the same for attention_mlp B=15 T=50 (d_model 64, 4 heads, MLP 3 x 128, state 641) k=16:"
                        + " %.3f s, %.1f GFLOP/s = %.0f%% of DGEMM%n",
                r.get("attention_ntk_apply_seconds"),
                r.get("attention_ntk_apply_gflops"),
                100 * (double) r.get("attention_ntk_apply_fraction_of_dgemm"));
        out.printf(
                "  (c) top-10 NTK_S eigenvalues, rnn_leaky B=32 T=100 H=128 N=3 (unroll + Lanczos, best of %d rounds):%n",
                rounds);
        out.printf(
                "      defaults: %.3f s, %d block applies / %d vectors, %d of 10 converged%n",
                r.get("top10_seconds"),
                r.get("top10_block_applies"),
                r.get("top10_vector_applies"),
                r.get("top10_converged"));
        out.printf(
                "      with %s: %.3f s, %d vectors, %d of 10 converged%n",
                r.get("top10_block1_options"),
                r.get("top10_block1_seconds"),
                r.get("top10_block1_vector_applies"),
                r.get("top10_block1_converged"));
        if (r.containsKey("peer_seconds")) {
            out.printf(
                    "  (d) NumPy/SciPy peer (stored Jacobians + ARPACK, best of %d): %.3f s, %d matvecs%n",
                    rounds, r.get("peer_seconds"), r.get("peer_matvecs"));
            out.printf(
                    "      ntk4j is %.1fx faster with defaults, %.1fx with %s (per round: %s); eigenvalues agree to %.1e relative%n",
                    r.get("speedup_vs_peer"),
                    r.get("speedup_vs_peer_block1"),
                    r.get("top10_block1_options"),
                    ratios(r.get("speedup_vs_peer_block1_rounds")),
                    Math.max((double) r.get("eigenvalues_max_rel_diff_vs_peer"), (double)
                            r.get("eigenvalues_block1_max_rel_diff_vs_peer")));
        } else {
            out.printf("  (d) NumPy/SciPy peer: %s%n", r.get("peer"));
        }
        if (r.containsKey("numpy_dgemm_gflops")) {
            out.printf(
                    "  (a') NumPy's DGEMM 2048^3 beside it: %.1f GFLOP/s; ntk4j's is %.0f%% of it%n",
                    r.get("numpy_dgemm_gflops"), 100 * (double) r.get("dgemm_fraction_of_numpy"));
        }
        out.printf(
                "  (e) the whole default spectrum (eigenvalues + every rank, accuracy 1%%), as a user runs it: %.2f s, "
                        + "%d applies, largest relative standard error %.2g%n",
                r.get("whole_seconds"), r.get("whole_applies"), r.get("whole_worst_relative_error"));
        if (r.containsKey("whole_peer_seconds")) {
            out.printf(
                    "      peer's spectrum + ranks (eigsh + kpflow effdims): %.2f s; ntk4j is %.1fx faster; eigenvalues agree "
                            + "to %.1e%n",
                    r.get("whole_peer_seconds"),
                    r.get("whole_speedup_vs_peer"),
                    r.get("whole_eigenvalues_max_rel_diff_vs_peer"));
        }
        if (r.containsKey("scaling")) {
            out.printf("  (f) the default spectrum as the model grows (wall clock, peak RSS of the process):%n");
            for (Object row : (List<?>) r.get("scaling")) {
                Map<?, ?> m = (Map<?, ?>) row;
                out.printf(
                        "      B=%-4s T=%-4s H=%-4s threads %s: %8.2f s, %6d applies, %7.0f MB%n",
                        m.get("B"),
                        m.get("T"),
                        m.get("H"),
                        m.get("threads"),
                        m.get("seconds"),
                        m.get("applies"),
                        m.get("peak_rss_mb"));
            }
        }
    }

    private static String ratios(Object xs) {
        StringBuilder sb = new StringBuilder();
        for (Object x : (List<?>) xs) {
            sb.append(sb.isEmpty() ? "" : ", ").append(String.format("%.1fx", (Double) x));
        }
        return sb.toString();
    }

    static void writeScalingReport(Path report, List<Map<String, Object>> rows) {
        Report rep = Report.create(report, "ntk4j bench: the default spectrum as the model grows");
        List<Object[]> table = new ArrayList<>();
        for (Map<String, Object> m : rows) {
            table.add(new Object[] {
                m.get("B"),
                m.get("T"),
                m.get("H"),
                m.get("threads"),
                m.get("seconds"),
                m.get("applies"),
                m.get("peak_rss_mb"),
                m.get("effective_rank"),
                m.get("worst_relative_error")
            });
        }
        rep.csv(
                "scaling.csv",
                new String[] {
                    "B",
                    "T",
                    "H",
                    "threads",
                    "seconds",
                    "applies",
                    "peak_rss_mb",
                    "effective_rank",
                    "worst_relative_error"
                },
                table);
        for (String axis : new String[] {"H", "B"}) {
            List<Double> x = new ArrayList<>(), t = new ArrayList<>(), mem = new ArrayList<>();
            for (Map<String, Object> m : rows) {
                boolean onAxis = axis.equals("H") ? ((int) m.get("B")) == 32 : ((int) m.get("H")) == 128;
                if (onAxis && ((int) m.get("threads")) == Ntk4j.threads()) {
                    x.add(((Number) m.get(axis)).doubleValue());
                    t.add((Double) m.get("seconds"));
                    mem.add((Double) m.get("peak_rss_mb"));
                }
            }
            var c = Report.chart("Default spectrum against " + axis + " (log-log)", axis, "seconds / MB", true);
            c.getStyler().setXAxisLogarithmic(true);
            c.addSeries(
                    "wall clock (s)",
                    x.stream().mapToDouble(Double::doubleValue).toArray(),
                    t.stream().mapToDouble(Double::doubleValue).toArray());
            c.addSeries(
                    "peak RSS (MB)",
                    x.stream().mapToDouble(Double::doubleValue).toArray(),
                    mem.stream().mapToDouble(Double::doubleValue).toArray());
            rep.plot("scaling_" + axis, c);
        }
        rep.finish();
    }
}
