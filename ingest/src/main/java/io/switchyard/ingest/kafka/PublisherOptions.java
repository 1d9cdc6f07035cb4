package io.switchyard.ingest.kafka;

import java.time.Duration;

/**
 * Flow control of the Kafka path.
 *
 * @param inflightBudgetBytes record bytes handed to the producer and not yet acknowledged, at most; OTLP requests
 *     beyond it are pushed back, which bounds heap under overload
 * @param ackTimeout how long an OTLP request waits for Kafka's acknowledgement before it is answered
 *     UNAVAILABLE (the client retries; the records may still land, so delivery is at-least-once)
 * @param retryAfter the back-off suggested to pushed-back clients
 */
public record PublisherOptions(long inflightBudgetBytes, Duration ackTimeout, Duration retryAfter) {
  public static final PublisherOptions DEFAULTS =
      new PublisherOptions(64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(1));

  public PublisherOptions {
    if (inflightBudgetBytes < 1 << 16) {
      throw new IllegalArgumentException("inflightBudgetBytes must be >= 65536, got " + inflightBudgetBytes);
    }
    if (ackTimeout.isNegative() || ackTimeout.isZero()) {
      throw new IllegalArgumentException("ackTimeout must be positive");
    }
  }
}
