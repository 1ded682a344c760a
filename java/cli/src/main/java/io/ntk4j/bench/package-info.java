/**
 * The benchmark harness behind {@code ntk4j bench}: the models it measures on, the default
 * spectrum run as a user runs it (its own JVM, wall clock, peak RSS), and the NumPy/SciPy peer
 * (tests/peer/numpy_peer.py) run beside it in the same minute.
 */
package io.ntk4j.bench;
