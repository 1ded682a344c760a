package io.ntk4j.spectral;

/**
 * A number with its standard error (0 for exact values) and the vectors applied to get it.
 *
 * {@snippet :
 * Estimate pr = Eigs.traces(session.ntk(), 60, 1).effectiveRank();
 * System.out.printf("%.3f +- %.3f (%d applies)%n", pr.value(), pr.stdError(), pr.applies());
 * }
 */
public record Estimate(double value, double stdError, long applies) {
  @Override
  public String toString() {
    return stdError == 0 ? Double.toString(value) : value + " ± " + stdError;
  }
}
