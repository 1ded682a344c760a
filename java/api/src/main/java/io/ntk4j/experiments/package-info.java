/**
 * Experiments built from the library's pieces: the student–teacher bifurcation study behind
 * {@code ntk4j demo} and resumable parameter sweeps of spectra.
 */
package io.ntk4j.experiments;
