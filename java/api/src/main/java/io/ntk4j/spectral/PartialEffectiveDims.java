package io.ntk4j.spectral;

/**
 * Partial effective dimensions of an operator on [B, T, H], one per kept axis.
 *
 * {@snippet :
 * PartialEffectiveDims d = EffectiveDims.partial(session.ntk(), session.batch(), session.steps(),
 *     session.hiddenSize(), Reduction.TRUE_PARTIAL_TRACE, true, 0, 0, 1);   // exact
 * double overTime = d.time().value();
 * }
 */
public record PartialEffectiveDims(Reduction reduction, Estimate batch, Estimate time, Estimate hidden) {}
