package io.ntk4j.spectral;

/**
 * Effective ranks and partial effective dimensions with their standard errors, from
 * {@link EffectiveDims#ranks}: exact on the deflation basis, sampled for the rest until every requested
 * estimate reached the target accuracy or the budget ran out ({@link #accuracyMet()} says which:
 * an estimate short of its accuracy is reported, never presented as met).
 *
 * {@snippet :
 * RankEstimates r = EffectiveDims.ranks(session.ntk(), top.vectors(), session.batch(), session.steps(),
 *     session.hiddenSize(), RankOptions.defaults());
 * System.out.println(r.effectiveRank() + " (" + r.samples() + " probes, met: " + r.accuracyMet() + ")");
 * }
 *
 * @param trace tr A (when traces were asked for)
 * @param traceOfSquare tr A^2
 * @param traceOfFourth tr A^4
 * @param effectiveRank PR(A) = (tr A)^2 / tr A^2
 * @param effectiveRankKpflow kpflow's PR(A^2) = (tr A^2)^2 / tr A^4
 * @param partialDims true partial-trace dimensions over batch, time and hidden (when asked for)
 * @param partialDimsKpflow the same with kpflow's broadcast-reduce (when asked for)
 * @param samples probes drawn
 * @param applies vectors pushed through A or A* in all, deflation included
 * @param deflation rank of the deflation basis used
 * @param accuracyMet every requested estimate reached the target accuracy
 * @param worstRelativeError the largest standard error relative to its estimate
 */
public record RankEstimates(
        Estimate trace,
        Estimate traceOfSquare,
        Estimate traceOfFourth,
        Estimate effectiveRank,
        Estimate effectiveRankKpflow,
        PartialEffectiveDims partialDims,
        PartialEffectiveDims partialDimsKpflow,
        long samples,
        long applies,
        long deflation,
        boolean accuracyMet,
        double worstRelativeError) {}
