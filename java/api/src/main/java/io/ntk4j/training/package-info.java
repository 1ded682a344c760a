/**
 * Gradient descent on a model through its operators: losses on states or a linear readout, SGD,
 * momentum, Adam, and the low-rank natural gradient built from NTK_S's top eigenpairs.
 */
package io.ntk4j.training;
