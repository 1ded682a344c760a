package io.ntk4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Model;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.spectral.EffectiveDims;
import io.ntk4j.spectral.Eigs;
import io.ntk4j.spectral.EigsOptions;
import io.ntk4j.spectral.Estimate;
import io.ntk4j.spectral.PartialEffectiveDims;
import io.ntk4j.spectral.RankEstimates;
import io.ntk4j.spectral.RankOptions;
import io.ntk4j.spectral.Reduction;
import io.ntk4j.spectral.SpectrumAnalysis;
import io.ntk4j.spectral.TraceEstimates;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ntk4j spectrum}: top eigenvalues, effective rank and partial effective dimensions. */
@Command(
        name = "spectrum",
        header = "Top eigenvalues, effective rank and partial effective dimensions of NTK_S, K, P P* or P.",
        mixinStandardHelpOptions = true,
        description = {
            "Top eigenvalues of NTK_S, K or P P* (singular values for P), their residuals, the effective rank"
                    + " PR = (tr A)^2 / tr(A^2), kpflow's PR(A^2), and the partial effective dimensions over batch, time and"
                    + " hidden (true partial trace, and kpflow's broadcast-reduce).",
            "Randomized by default: Lanczos (single vector with a completeness check; for P on P P*) for the"
                    + " eigenvalues, then the ranks exact on those eigenvectors and sampled for the rest until each standard"
                    + " error is within --accuracy. --exact uses dense LAPACK (n <= 20000).",
            "Exits 3 if some requested eigenvalue did not converge or the ranks did not reach --accuracy within"
                    + " --max-samples."
        })
final class SpectrumCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ModelOption modelOption;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(
            names = "--op",
            defaultValue = "NTK",
            description =
                    "NTK, K, PPt, P, NTK_y (the NTK of the outputs y: a recurrent model's readout, with its own parameters' term, or attention_mlp's y) or NTK_h (NTK_S on h only, lstm) (default ${DEFAULT-VALUE})")
    String op;

    @Option(
            names = "--top",
            defaultValue = "10",
            paramLabel = "k",
            description = "how many eigenvalues (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--exact", description = "dense LAPACK instead of randomized methods")
    boolean exact;

    @Option(
            names = "--report",
            paramLabel = "DIR",
            description = "also write JSON, CSV, PNG/SVG plots and index.html into DIR (must not exist or be empty)")
    Path report;

    @Option(
            names = "--tol",
            defaultValue = "1e-10",
            description = "residual tolerance relative to the largest (default ${DEFAULT-VALUE})")
    double tol;

    @Option(
            names = "--block",
            defaultValue = "0",
            description = "Lanczos block size (0: single vector with a completeness "
                    + "check that grows the block when it finds a missed eigenvalue, safe for repeated eigenvalues; an explicit size "
                    + "skips the check)")
    int block;

    @Option(
            names = "--basis",
            defaultValue = "0",
            description = "Lanczos basis size between restarts (0: max(k + 6 * block, 2k + 20))")
    int basis;

    @Option(
            names = "--accuracy",
            defaultValue = "0.01",
            paramLabel = "a",
            description = "target standard error of every rank estimate, relative to it (default ${DEFAULT-VALUE}); "
                    + "sampling stops there, or at --max-samples (then exit 3)")
    double accuracy;

    @Option(
            names = "--max-samples",
            defaultValue = "4096",
            paramLabel = "n",
            description = "probe budget of the rank estimates (default ${DEFAULT-VALUE})")
    long maxSamples;

    @Option(names = "--seed", description = "seed of every randomized step (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(
            names = "--threshold",
            defaultValue = "0.95",
            paramLabel = "q",
            description = "the threshold rank reported: fewest top eigenvalues reaching q of the trace "
                    + "(default ${DEFAULT-VALUE})")
    double threshold;

    @Option(
            names = "--vectors-out",
            paramLabel = "V.npy",
            description = "write the top eigenvectors [k, B, T, width] (P: its left singular vectors)")
    Path vectorsOut;

    @Option(
            names = "--eigenvalues-only",
            description =
                    "skip the effective rank and the partial effective dimensions (on large models they take many more "
                            + "operator applies than the eigenvalues)")
    boolean eigenvaluesOnly;

    @picocli.CommandLine.ArgGroup(exclusive = false)
    SpectrumOnSpark.Options spark = new SpectrumOnSpark.Options();

    @Override
    public Integer call() throws Exception {
        SpectrumAnalysis.Target kind = SpectrumAnalysis.Target.fromId(op);
        if (top <= 0) {
            throw new InvalidInputException("--top must be > 0, got " + top);
        }
        if (!(accuracy > 0 && accuracy < 1)) {
            throw new InvalidInputException(
                    "--accuracy (a relative standard error) must be in (0, 1), got " + accuracy);
        }
        if (!(threshold > 0 && threshold <= 1)) {
            throw new InvalidInputException("--threshold must be in (0, 1], got " + threshold);
        }
        if (maxSamples < 8 || maxSamples > (1L << 30)) {
            throw new InvalidInputException("--max-samples must be in [8, 2^30], got " + maxSamples);
        }
        io.ntk4j.io.PyTorchModel.Loaded loaded =
                modelOption.load(spec.commandLine().getErr());
        if (spark.master != null) {
            return SpectrumOnSpark.run(this, loaded.model());
        }
        try (AutoCloseable progress = Progress.attachNative(json)) {
            // The readout enters only the output NTK (a recurrent model's NTK_y).
            return compute(loaded.model(), kind == SpectrumAnalysis.Target.NTK_Y ? loaded.readout() : null, kind);
        }
    }

    private Integer compute(Model m, io.ntk4j.Readout readout, SpectrumAnalysis.Target kind) throws Exception {
        long t0 = System.nanoTime();
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(m, data.inputs(arena));
                LinearOperator ppt = s.P().gram()) {
            LinearOperator a = kind == SpectrumAnalysis.Target.PPT ? ppt : kind.of(s, readout);
            LinearOperator sym = kind.singular() ? ppt : a; // the PSD operator whose ranks we report
            double[] values, residuals;
            double[] symSpectrum = null; // exact mode: every eigenvalue of sym (the traces follow from them)
            int converged;
            long applies;
            TraceEstimates tr = null;
            Estimate prKpflow = null;
            PartialEffectiveDims dims = null, dimsK = null;
            SpectrumAnalysis.Result analysis = null;
            RankEstimates ranks = null;
            if (exact) {
                symSpectrum = Eigs.exact(sym);
                double[] all = kind.singular()
                        ? Arrays.stream(symSpectrum)
                                .map(x -> Math.sqrt(Math.max(x, 0)))
                                .toArray()
                        : symSpectrum;
                if (top > all.length) {
                    throw new InvalidInputException("--top " + top + " exceeds the dimension " + all.length);
                }
                values = Arrays.copyOf(all, top);
                residuals = new double[top];
                converged = top;
                applies = sym.rows();
                if (!eigenvaluesOnly) {
                    // From the eigenvalues already computed: tr A = sum l, tr A^2 = sum l^2, PR(A^2) from
                    // sum l^4 (no second dense formation of A, none of A^2).
                    double s1 = 0, s2 = 0, s4 = 0;
                    for (double l : symSpectrum) {
                        s1 += l;
                        s2 += l * l;
                        s4 += l * l * l * l;
                    }
                    if (!(s2 > 0)) {
                        throw new io.ntk4j.NumericalException(
                                "the operator " + kind.label() + " is zero (tr A^2 = " + s2
                                        + "): effective ranks are undefined",
                                0);
                    }
                    tr = new TraceEstimates(
                            new Estimate(s1, 0, 0), new Estimate(s2, 0, 0), new Estimate(s1 * s1 / s2, 0, 0));
                    prKpflow = new Estimate(s2 * s2 / s4, 0, 0);
                    dims = EffectiveDims.partial(
                            a,
                            s.batch(),
                            s.steps(),
                            kind.width(s, readout),
                            Reduction.TRUE_PARTIAL_TRACE,
                            true,
                            0,
                            0,
                            seed);
                    dimsK = EffectiveDims.partial(
                            a, s.batch(), s.steps(), kind.width(s, readout), Reduction.KPFLOW, true, 1, 0, seed);
                }
            } else {
                // The library's analysis (issue 11): eigenpairs, then ranks exact on the eigenvectors and
                // sampled for the rest until every standard error is within --accuracy, then kpflow's
                // reduction exactly (kpflow's effdim squares the operator: PR(A^2) beside, DESIGN.md).
                EigsOptions o = EigsOptions.top(top)
                        .withVectors(vectorsOut != null)
                        .withTol(tol)
                        .withSeed(seed)
                        .withBlock(block)
                        .withMaxBasis(basis);
                RankOptions ro = eigenvaluesOnly
                        ? null
                        : RankOptions.defaults()
                                .withAccuracy(accuracy)
                                .withMaxSamples(maxSamples)
                                .withSeed(seed);
                analysis = SpectrumAnalysis.run(s, readout, kind, o, ro, true);
                values = analysis.values();
                residuals = analysis.residuals();
                converged = analysis.converged();
                applies = analysis.applies();
                ranks = analysis.ranks();
                if (ranks != null) {
                    tr = new TraceEstimates(ranks.trace(), ranks.traceOfSquare(), ranks.effectiveRank());
                    prKpflow = ranks.effectiveRankKpflow();
                    dims = analysis.partialDims();
                    dimsK = analysis.dimsKpflow();
                }
            }
            boolean accuracyMet = analysis == null || analysis.accuracyMet();
            double seconds = (System.nanoTime() - t0) / 1e9;
            PrintWriter out = spec.commandLine().getOut();
            String opName = kind.label();
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            {
                root.put("op", opName);
                root.put("model", modelOption.model.toString());
                root.put("method", exact ? "exact" : "randomized");
                root.put("values_are", kind.singular() ? "singular values" : "eigenvalues");
                ArrayNode ev = root.putArray("eigenvalues");
                Arrays.stream(values).forEach(ev::add);
                ArrayNode res = root.putArray("residuals");
                Arrays.stream(residuals).forEach(res::add);
                root.put("converged", converged);
                if (!eigenvaluesOnly) {
                    SpectrumOutputs.putRanks(
                            root,
                            kind.rankedLabel(),
                            tr.effectiveRank(),
                            prKpflow,
                            dims,
                            dimsK,
                            SpectrumOutputs.lastAxis(kind));
                    if (ranks != null) {
                        root.put("accuracy", accuracy);
                        root.put("accuracy_met", accuracyMet);
                        root.put("worst_relative_error", analysis.worstRelativeError());
                        root.put("rank_samples", analysis.rankSamples());
                        root.put("rank_applies", analysis.rankApplies());
                        root.put("deflation", ranks.deflation());
                    }
                }
                if (!eigenvaluesOnly) {
                    double[] lambda = kind.singular() // the ranked operator's eigenvalues (P P*: sigma^2)
                            ? Arrays.stream(values).map(v -> v * v).toArray()
                            : values;
                    SpectrumOutputs.putThreshold(root, threshold, symSpectrum, lambda, tr.trace());
                }
                if (vectorsOut != null) {
                    Tensor v = exact ? Eigs.exactVectors(sym, top, arena) : analysis.vectors();
                    SpectrumOutputs.writeVectors(root, vectorsOut, v, s.batch(), s.steps(), kind.width(s, readout));
                }
                root.put("applies", applies);
                root.put("seconds", seconds);
            }
            if (report != null) {
                SpectrumReport.write(
                        report,
                        root,
                        opName,
                        kind.singular(),
                        values,
                        residuals,
                        tr == null ? Double.NaN : tr.trace().value(),
                        m.toString());
            }
            if (json) {
                out.println(mapper.writeValueAsString(root));
            } else {
                out.printf(
                        "%s of %s on %s, inputs [B=%d, T=%d], %s%n",
                        kind.singular() ? "singular values" : "eigenvalues",
                        opName,
                        m,
                        s.batch(),
                        s.steps(),
                        exact ? "exact (dense LAPACK)" : "randomized");
                out.printf("  %-4s %-24s %s%n", "i", kind.singular() ? "sigma_i" : "lambda_i", "residual");
                for (int i = 0; i < values.length; i++) {
                    out.printf("  %-4d %-24.16e %.2e%n", i + 1, values[i], residuals[i]);
                }
                out.printf("  converged: %d of %d (tol %.1e relative to the largest)%n", converged, values.length, tol);
                if (!eigenvaluesOnly) {
                    out.printf(
                            "  effective rank of %s: %s (kpflow's PR(A^2): %s)%n",
                            kind.rankedLabel(), SpectrumOutputs.fmt(tr.effectiveRank()), SpectrumOutputs.fmt(prKpflow));
                    com.fasterxml.jackson.databind.JsonNode th = root.get("threshold_rank");
                    out.printf(
                            "  threshold rank (%.3g of the trace): %s%n",
                            threshold,
                            th.get("exact").asBoolean()
                                    ? th.get("rank").asText()
                                    : th.get("rank").isNull()
                                            ? "more than --top " + top + " (raise --top)"
                                            : th.get("rank").asText() + " ("
                                                    + th.get("lower").asText() + " to "
                                                    + (th.get("upper").isNull()
                                                            ? "more than " + top
                                                            : th.get("upper").asText())
                                                    + " at the trace -/+ 2 SE)");
                    SpectrumOutputs.printDims(out, dims, dimsK, SpectrumOutputs.lastAxis(kind));
                }
                if (ranks != null) {
                    out.printf(
                            "  rank estimates: %d probes, exact on the top %d eigenvectors, largest relative standard error "
                                    + "%.2g (target %.2g%s)%n",
                            root.get("rank_samples").asLong(),
                            ranks.deflation(),
                            root.get("worst_relative_error").asDouble(),
                            accuracy,
                            accuracyMet ? ", met" : ", NOT met");
                }
                out.printf("  operator applies: %d, time %.3f s%n", applies, seconds);
            }
            if (!accuracyMet) {
                spec.commandLine()
                        .getErr()
                        .printf(
                                "ntk4j spectrum: the rank estimates did not reach --accuracy %.3g within --max-samples %d (largest relative "
                                        + "standard error %.3g); they are reported with their errors, not as met%n",
                                accuracy,
                                maxSamples,
                                root.get("worst_relative_error").asDouble());
            }
            return converged == values.length && accuracyMet ? Main.EXIT_OK : Main.EXIT_NUMERICAL;
        }
    }
}
