package io.ntk4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import io.ntk4j.io.Npy;
import io.ntk4j.spectral.Estimate;
import io.ntk4j.spectral.PartialEffectiveDims;
import io.ntk4j.spectral.SpectrumAnalysis;
import io.ntk4j.spectral.ThresholdRank;
import java.nio.file.Path;

/** What {@code spectrum} reports beside the eigenvalues: the threshold rank and the eigenvectors file. */
final class SpectrumOutputs {
    private SpectrumOutputs() {}

    /**
     * The threshold rank of the ranked operator into {@code root}: exact from {@code spectrum} (all
     * its eigenvalues) when given, else from the top {@code eigenvalues} and the estimated trace.
     */
    static ThresholdRank putThreshold(
            ObjectNode root, double fraction, double[] spectrum, double[] eigenvalues, Estimate trace) {
        ThresholdRank t = spectrum != null
                ? ThresholdRank.of(spectrum, null, fraction)
                : ThresholdRank.of(eigenvalues, trace, fraction);
        ObjectNode n = root.putObject("threshold_rank");
        n.put("fraction", fraction);
        if (t.rank() > 0) {
            n.put("rank", t.rank());
        } else {
            n.putNull("rank");
        }
        n.put("lower", t.lower());
        if (t.upper() > 0) {
            n.put("upper", t.upper());
        } else {
            n.putNull("upper");
        }
        n.put("resolved", t.resolved());
        n.put("exact", t.exact());
        n.put(
                "definition",
                "min k with sum of the top k eigenvalues >= fraction * trace"
                        + (t.exact() ? "" : "; lower..upper at trace -/+ 2 standard errors, null: beyond --top"));
        return t;
    }

    /** Writes the top eigenvectors [k, B, T, width] (P: its left singular vectors) and notes the file. */
    static void writeVectors(ObjectNode root, Path file, Tensor vectors, long batch, long steps, long width) {
        if (vectors == null) {
            throw new InvalidInputException("no eigenvectors were computed");
        }
        long k = vectors.size() / (batch * steps * width);
        Npy.write(file, vectors.reshape(k, batch, steps, width));
        ObjectNode n = root.putObject("vectors");
        n.put("file", file.toString());
        n.putArray("shape").add(k).add(batch).add(steps).add(width);
    }

    /** The name of the operator's last axis: NTK_y acts on [B, T, O], the others on [B, T, H]. */
    static String lastAxis(SpectrumAnalysis.Target kind) {
        return kind == SpectrumAnalysis.Target.NTK_Y ? "output" : "hidden";
    }

    /**
     * spectrum's rank fields: the effective rank of {@code of} and kpflow's PR(A^2) with their
     * standard errors, and both reductions' partial dimensions ({@code last}: the last axis's name).
     */
    static void putRanks(
            ObjectNode root,
            String of,
            Estimate pr,
            Estimate prKpflow,
            PartialEffectiveDims dims,
            PartialEffectiveDims dimsKpflow,
            String last) {
        root.put("effective_rank", pr.value());
        root.put("effective_rank_std_error", pr.stdError());
        root.put("effective_rank_of", of);
        root.put("effective_rank_kpflow", prKpflow.value());
        root.put("effective_rank_kpflow_std_error", prKpflow.stdError());
        putDims(root.putObject("partial_effective_dims"), dims, last);
        putDims(root.putObject("partial_effective_dims_kpflow"), dimsKpflow, last);
    }

    /** spectrum's two text lines of partial dimensions (true partial trace, then kpflow's reduction). */
    static void printDims(
            java.io.PrintWriter out, PartialEffectiveDims dims, PartialEffectiveDims dimsKpflow, String last) {
        out.printf(
                "  partial effective dims (true partial trace): batch %s, time %s, %s %s%n",
                fmt(dims.batch()), fmt(dims.time()), last, fmt(dims.hidden()));
        out.printf(
                "  partial effective dims (kpflow reduction):   batch %s, time %s, %s %s%n",
                fmt(dimsKpflow.batch()), fmt(dimsKpflow.time()), last, fmt(dimsKpflow.hidden()));
    }

    static void putDims(ObjectNode n, PartialEffectiveDims d, String last) {
        n.put("batch", d.batch().value());
        n.put("time", d.time().value());
        n.put(last, d.hidden().value());
        n.put("batch_std_error", d.batch().stdError());
        n.put("time_std_error", d.time().stdError());
        n.put(last + "_std_error", d.hidden().stdError());
    }

    static String fmt(Estimate e) {
        // A standard error below round-off means the estimate was exact (e.g. the sketch spanned the
        // whole range); printing 1e-61 would only be noise.
        if (e.stdError() <= 1e-10 * Math.abs(e.value())) {
            return String.format("%.10g", e.value());
        }
        return String.format("%.6g ± %.2g", e.value(), e.stdError());
    }
}
