/**
 * Spectra and ranks of operators: top eigenpairs (Lanczos with a completeness check), singular
 * values, exact dense spectra for small sizes, traces, effective ranks and partial effective
 * dimensions with standard errors, operator alignment. Algorithms take operators, not models.
 */
package io.ntk4j.spectral;
