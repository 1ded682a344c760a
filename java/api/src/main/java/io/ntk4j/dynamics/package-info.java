/**
 * The network's dynamics: fixed points, their Jacobian spectra, bifurcations along a gain, and the
 * bifurcation channel (the direction of the eigenvalue crossing and its share of NTK_S).
 */
package io.ntk4j.dynamics;
