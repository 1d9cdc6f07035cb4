package io.switchyard.ingest.mapping;

/**
 * The probability with which a span was sampled, so downstream counts can be scaled by its inverse.
 *
 * <p>Sources, first match wins: the OpenTelemetry threshold in W3C {@code tracestate} ({@code ot=th:<hex>}: a
 * rejection threshold over 56 bits, trailing zeros omitted, so the probability is {@code 1 - th / 2^56}); then
 * the span attribute {@code sampling.probability} (a number in [2^-56, 1]: below 2^-56, the smallest probability a
 * threshold can express, one span would stand for more than 10^17 requests, so a value such as 1e-300 is taken as
 * the client's error). Anything unparsable or out of range counts as 1.0, which under-counts rather than inventing
 * traffic.
 */
final class SamplingProbability {
  static final String ATTRIBUTE = "sampling.probability";
  private static final double TWO_POW_56 = 0x1p56;
  private static final double MIN_PROBABILITY = 0x1p-56;

  private SamplingProbability() {}

  static double of(String traceState, Attributes attributes) {
    double fromState = fromTraceState(traceState);
    if (!Double.isNaN(fromState)) {
      return fromState;
    }
    double attr = attributes.decimal(ATTRIBUTE);
    if (attr >= MIN_PROBABILITY && attr <= 1) {
      return attr;
    }
    return 1.0;
  }

  /** NaN when tracestate carries no valid {@code ot=th:} value. */
  static double fromTraceState(String traceState) {
    if (traceState == null || traceState.isEmpty()) {
      return Double.NaN;
    }
    for (String member : traceState.split(",")) {
      String m = member.trim();
      if (!m.startsWith("ot=")) {
        continue;
      }
      for (String field : m.substring(3).split(";")) {
        if (field.startsWith("th:")) {
          return fromThreshold(field.substring(3));
        }
      }
    }
    return Double.NaN;
  }

  static double fromThreshold(String th) {
    if (th.isEmpty() || th.length() > 14) {
      return Double.NaN;
    }
    long threshold = 0;
    for (int i = 0; i < 14; i++) {
      int digit = i < th.length() ? Character.digit(th.charAt(i), 16) : 0;
      if (digit < 0) {
        return Double.NaN;
      }
      threshold = (threshold << 4) | digit;
    }
    return 1.0 - threshold / TWO_POW_56;
  }
}
