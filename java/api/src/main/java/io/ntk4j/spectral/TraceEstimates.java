package io.ntk4j.spectral;

/**
 * tr A, tr A^2 and the effective rank PR(A) = (tr A)^2 / tr(A^2), exact or estimated.
 *
 * {@snippet :
 * TraceEstimates t = Traces.estimate(session.K(), 60, 1);   // Hutch++, 60 probes, seed 1
 * System.out.println(t.effectiveRank().value() + " +- " + t.effectiveRank().stdError());
 * }
 */
public record TraceEstimates(Estimate trace, Estimate traceOfSquare, Estimate effectiveRank) {}
