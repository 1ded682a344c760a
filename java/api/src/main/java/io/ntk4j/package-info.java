/**
 * ntk4j: the tangent operators of a recurrent network's unrolled dynamics (docs/DESIGN.md): the
 * propagator P (and P*, P⁻¹), the parameter operator K and the state-space NTK, NTK_S = P K P*,
 * matrix-free on blocks of probes in the native core. Start with {@link io.ntk4j.Model} (a cell and
 * its weights), {@link io.ntk4j.Session} (a model unrolled on inputs: its operators) and
 * {@link io.ntk4j.Tensor} (off-heap float64 arrays passed to native code without copies).
 */
package io.ntk4j;
