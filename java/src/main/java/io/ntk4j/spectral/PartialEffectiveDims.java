package io.ntk4j.spectral;

/** Partial effective dimensions of an operator on [B, T, H], one per kept axis. */
public record PartialEffectiveDims(Reduction reduction, Estimate batch, Estimate time, Estimate hidden) {}
