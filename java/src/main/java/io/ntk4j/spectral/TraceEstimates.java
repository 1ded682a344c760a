package io.ntk4j.spectral;

/** tr A, tr A^2 and the effective rank PR(A) = (tr A)^2 / tr(A^2), exact or estimated. */
public record TraceEstimates(Estimate trace, Estimate traceOfSquare, Estimate effectiveRank) {}
