package io.ntk4j.spectral;

import io.ntk4j.InvalidInputException;
import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;

/**
 * The default randomized analysis of one session's operator, as {@code ntk4j spectrum} and the
 * sweeps run it (issue 11): the top eigenpairs by Lanczos on the smaller side (NTK_S = J J^T with
 * J = P J_theta, K = J_theta J_theta^T; P's singular triplets from the eigenpairs of P P*), then the
 * effective ranks and the true partial effective dimensions exact on those eigenvectors and
 * sampled for the rest until every standard error is within the accuracy ({@link EffectiveDims#ranks}),
 * then kpflow's broadcast-reduce exactly (B + T + H applies).
 *
 * {@snippet :
 * SpectrumAnalysis.Result r = SpectrumAnalysis.run(session, SpectrumAnalysis.Target.NTK,
 *     EigsOptions.top(10).withVectors(true), RankOptions.defaults(), true);
 * System.out.println(r.values()[0] + " " + r.ranks().effectiveRank());
 * }
 */
public final class SpectrumAnalysis {
    private SpectrumAnalysis() {}

    /** What is analysed: NTK_S, K or P P* by their eigenvalues, P by its singular values. */
    public enum Target {
        NTK("NTK_S"),
        K("K"),
        PPT("PPt"),
        P("P"),
        /** The NTK of the outputs y, [B, T, d_output] (attention_mlp). */
        NTK_Y("NTK_y"),
        /** NTK_S restricted to the observable state h, [B, T, H] (lstm: without c). */
        NTK_H("NTK_h");

        private final String label;

        Target(String label) {
            this.label = label;
        }

        /** The operator's name in outputs: {@code NTK_S}, {@code K}, {@code PPt}, {@code P}. */
        public String label() {
            return label;
        }

        /** The symmetric operator whose ranks are reported: P P* for P, the operator itself otherwise. */
        public String rankedLabel() {
            return this == P ? PPT.label : label;
        }

        /** Whether the operator itself is symmetric (all but P). */
        public boolean symmetric() {
            return this != P;
        }

        /** Whether {@link Result#values()} are singular values (P) rather than eigenvalues. */
        public boolean singular() {
            return this == P;
        }

        /** Parses {@code NTK}, {@code K}, {@code PPt} (or {@code PPT}), {@code P}, {@code NTK_y}, case-insensitively. */
        public static Target fromId(String id) {
            for (Target t : values()) {
                if (t.name().equalsIgnoreCase(id) || t.label.equalsIgnoreCase(id)) {
                    return t;
                }
            }
            throw new InvalidInputException("unknown operator \"" + id + "\" (NTK, K, PPt, P, NTK_y, NTK_h)");
        }

        /**
         * This operator of session {@code s}: NTK_S, K, P P*, P, the output NTK (with a recurrent
         * model's {@code readout}, which only NTK_y reads; null for attention_mlp) or NTK_S on h.
         */
        public LinearOperator of(Session s, io.ntk4j.Readout readout) {
            return switch (this) {
                case NTK -> s.ntk();
                case K -> s.K();
                case PPT -> s.P().gram();
                case P -> s.P();
                case NTK_Y -> io.ntk4j.OutputKernels.ntk(s, readout);
                case NTK_H -> s.ntkObserved();
            };
        }

        /** Width of the last axis of the space the ranked operator acts on: H, or d_output for NTK_y. */
        public long width(Session s) {
            return width(s, null);
        }

        /** {@link #width(Session)} with a recurrent model's readout (NTK_y: its O outputs). */
        public long width(Session s, io.ntk4j.Readout readout) {
            return this == NTK_Y
                    ? io.ntk4j.OutputKernels.outputsShape(s, readout)[2]
                    : this == NTK_H ? s.model().hiddenSize() : s.hiddenSize();
        }
    }

    /**
     * One analysis. {@code values}/{@code residuals} are eigenvalues of the target, or P's singular
     * values with residuals ||P v - sigma u||; {@code ranks} are those of the ranked operator (null
     * when only eigenvalues were asked for), {@code ranksP} the partial dimensions of P P* sampled
     * through P (P only, else null); {@code dimsKpflow} is kpflow's reduction (null without ranks).
     */
    public record Result(
            Target target,
            double[] values,
            double[] residuals,
            int converged,
            long eigenApplies,
            Tensor vectors,
            RankEstimates ranks,
            RankEstimates ranksP,
            PartialEffectiveDims dimsKpflow) {
        /** The true partial effective dimensions reported (of P P* for P). */
        public PartialEffectiveDims partialDims() {
            return (ranksP != null ? ranksP : ranks).partialDims();
        }

        /** Whether every rank estimate reached the requested accuracy (true without ranks). */
        public boolean accuracyMet() {
            return ranks == null || (ranks.accuracyMet() && (ranksP == null || ranksP.accuracyMet()));
        }

        /** The largest standard error relative to its estimate among the rank estimates. */
        public double worstRelativeError() {
            return ranks == null
                    ? 0
                    : Math.max(ranks.worstRelativeError(), ranksP != null ? ranksP.worstRelativeError() : 0);
        }

        public long rankSamples() {
            return ranks == null ? 0 : ranks.samples() + (ranksP != null ? ranksP.samples() : 0);
        }

        public long rankApplies() {
            return ranks == null ? 0 : ranks.applies() + (ranksP != null ? ranksP.applies() : 0);
        }

        /** Operator applies in all: the eigen-solve, the rank samples and kpflow's reduction. */
        public long applies() {
            return eigenApplies
                    + rankApplies()
                    + (dimsKpflow == null
                            ? 0
                            : dimsKpflow.batch().applies()
                                    + dimsKpflow.time().applies()
                                    + dimsKpflow.hidden().applies());
        }
    }

    /**
     * Runs the analysis on {@code s}. {@code ranks} null: eigenvalues only. For P,
     * {@code singularToTol} continues Lanczos until the singular values themselves meet the
     * tolerance (||P v - sigma u|| / sigma &lt;= tol sigma_1; {@code spectrum} reports them), else
     * stops at P P*'s own convergence (enough for the ranks a sweep reports).
     */
    public static Result run(Session s, Target target, EigsOptions eigs, RankOptions ranks, boolean singularToTol) {
        return run(s, null, target, eigs, ranks, singularToTol);
    }

    /**
     * {@link #run(Session, Target, EigsOptions, RankOptions, boolean)} with a recurrent model's
     * readout, which {@link Target#NTK_Y} needs (the output NTK, {@link io.ntk4j.OutputKernels#ntk});
     * null for the other targets and for attention_mlp.
     */
    public static Result run(
            Session s,
            io.ntk4j.Readout readout,
            Target target,
            EigsOptions eigs,
            RankOptions ranks,
            boolean singularToTol) {
        EigsOptions o = eigs.withVectors(ranks != null || eigs.vectors());
        int top = o.k();
        try (Arena arena = Arena.ofConfined();
                LinearOperator ppt = s.P().gram()) {
            LinearOperator ranked = switch (target) {
                case NTK -> s.ntk();
                case K -> s.K();
                case PPT, P -> ppt;
                case NTK_Y -> io.ntk4j.OutputKernels.ntk(s, readout);
                case NTK_H -> s.ntkObserved();
            };
            double[] values;
            double[] residuals;
            int converged;
            long applies;
            Tensor vectors;
            Tensor domainVectors = null;
            if (target == Target.P) {
                // Singular triplets from the eigenpairs of P P* by Lanczos (sigma = sqrt(lambda),
                // v = P* u / sigma): randomized SVD's power iterations stalled on P's clustered top
                // singular values (B=32 T=100 H=128: 0 of 5 converged in 2040 applies). With that v,
                // ||P* u - sigma v|| = 0 and ||P v - sigma u|| = ||P P* u - lambda u|| / sigma.
                EigenResult r = Eigs.top(ppt, o.withVectors(true));
                applies = 2 * r.vectorApplies(); // each apply of P P* is two of P
                values = new double[top];
                residuals = new double[top];
                converged = singular(r, values, residuals, o.tol());
                if (singularToTol && converged < top && r.isConverged()) {
                    // Converged for P P* (||r|| <= tol lambda_1) but not yet for P (||r|| / sigma_i <= tol
                    // sigma_1): continue from these vectors with the tolerance scaled by sigma_k / sigma_1.
                    double scale = values[top - 1] > 0 ? values[top - 1] / values[0] : 1e-3;
                    r = Eigs.top(ppt, o.withVectors(true).withTol(0.5 * o.tol() * scale), r.vectors());
                    applies += 2 * r.vectorApplies();
                    converged = singular(r, values, residuals, o.tol());
                }
                vectors = r.vectors();
                if (ranks != null) { // P* u_i, orthonormalized by EffectiveDims.ranks
                    domainVectors = s.Pt().apply(vectors, arena).reshape(top, ppt.cols());
                }
            } else {
                EigenResult r;
                if (target == Target.NTK) {
                    try (LinearOperator j = s.P().compose(s.jtheta())) {
                        r = Eigs.topOfGram(j, o);
                    }
                } else if (target == Target.K) {
                    r = Eigs.topOfGram(s.jtheta(), o);
                } else if (target == Target.NTK_Y || target == Target.NTK_H) {
                    r = Eigs.top(ranked, o);
                } else {
                    r = Eigs.top(ppt, o);
                }
                vectors = r.vectors();
                values = r.values();
                residuals = r.residuals();
                converged = r.converged();
                applies = r.vectorApplies();
            }
            if (ranks == null) {
                return new Result(
                        target,
                        values,
                        residuals,
                        converged,
                        applies,
                        eigs.vectors() ? vectors : null,
                        null,
                        null,
                        null);
            }
            if (target != Target.P) {
                return ofTop(
                        target,
                        ranked,
                        new EigenResult(values, residuals, vectors, converged, 0, applies, 0, 0, 0),
                        s.batch(),
                        s.steps(),
                        target.width(s, readout),
                        ranks,
                        eigs.vectors());
            }
            // The ranks of P are those of P P* (deflated by P's left singular vectors); its partial
            // dimensions those of G = P P* itself, sampled through P (deflated by the right ones).
            RankEstimates rk = EffectiveDims.ranks(
                    ranked, vectors, s.batch(), s.steps(), s.hiddenSize(), ranks.withPartial(false));
            RankEstimates rp = EffectiveDims.ranks(
                    s.P(), domainVectors, s.batch(), s.steps(), s.hiddenSize(), ranks.withTraces(false));
            PartialEffectiveDims dk = EffectiveDims.partial(
                    s.P(), s.batch(), s.steps(), s.hiddenSize(), Reduction.KPFLOW, false, 1, 0, ranks.seed());
            return new Result(
                    target, values, residuals, converged, applies, eigs.vectors() ? vectors : null, rk, rp, dk);
        }
    }

    /**
     * The rank part of {@link #run} for a symmetric {@code ranked} operator on [batch, steps, width]
     * whose top eigenpairs are already known ({@code top.vectors()} [k, batch steps width]: the
     * deflation basis; {@code top.vectorApplies()} counted as the eigen-solve's applies): the
     * effective ranks and true partial dimensions sampled with {@code ranks}'s seed, and kpflow's
     * broadcast-reduce exactly. A {@code ranked} operator that is applied elsewhere (a batch sharded
     * across a cluster) gives the same numbers as one session with the same eigenvectors and seed.
     */
    public static Result ofTop(
            Target target,
            LinearOperator ranked,
            EigenResult top,
            long batch,
            long steps,
            long width,
            RankOptions ranks,
            boolean keepVectors) {
        if (target == Target.P) {
            throw new InvalidInputException("P's ranks need its singular triplets: use run");
        }
        RankEstimates rk = EffectiveDims.ranks(ranked, top.vectors(), batch, steps, width, ranks);
        // kpflow's broadcast-reduce exactly, with B + T + H applies (its probes would give rank-one
        // samples, needing thousands of probes for 1 %).
        PartialEffectiveDims dk =
                EffectiveDims.partial(ranked, batch, steps, width, Reduction.KPFLOW, false, 1, 0, ranks.seed());
        return new Result(
                target,
                top.values(),
                top.residuals(),
                top.converged(),
                top.vectorApplies(),
                keepVectors ? top.vectors() : null,
                rk,
                null,
                dk);
    }

    /** Singular values sqrt(lambda_i) of P from the eigenpairs of P P*, residuals ||P P* u - lambda u|| / sigma. */
    private static int singular(EigenResult r, double[] values, double[] residuals, double tol) {
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.sqrt(Math.max(r.values()[i], 0));
            residuals[i] = values[i] > 0 ? r.residuals()[i] / values[i] : r.residuals()[i];
        }
        int converged = 0;
        for (int i = 0; i < values.length; i++) {
            if (i < r.converged() && residuals[i] <= tol * values[0]) {
                converged++;
            }
        }
        return converged;
    }
}
