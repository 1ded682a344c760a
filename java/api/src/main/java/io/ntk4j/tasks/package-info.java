/**
 * The neuroscience tasks researchers train RNNs on (memory-pro, anti, flip-flop, context
 * integration), generated as [B, T, N] inputs and targets from a seed.
 */
package io.ntk4j.tasks;
