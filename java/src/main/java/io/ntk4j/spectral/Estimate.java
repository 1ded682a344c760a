package io.ntk4j.spectral;

/** A number with its standard error (0 for exact values) and the vectors applied to get it. */
public record Estimate(double value, double stdError, long applies) {
  @Override
  public String toString() {
    return stdError == 0 ? Double.toString(value) : value + " ± " + stdError;
  }
}
