package io.switchyard.flinkjobs.graph;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the service-graph operator waits for the other side of a span pair.
 *
 * @param pairingWait how long an unmatched span waits before it becomes a virtual edge (or is dropped)
 * @param messagingWait how long a PRODUCER span waits for its consumers (at least {@code pairingWait}): a
 *     consumer may read a message long after it was produced, and every consumer of a fan-out gets its edge
 * @param timeDomain EVENT waits on span time and watermarks (deterministic on replay; the default),
 *     PROCESSING on the wall clock (Tempo's behaviour, keeps expiring when traffic stops)
 * @param dedupeTtl how long a (trace, span, kind) is remembered to drop redelivered spans
 * @param peerAttributes span attributes naming a virtual server, in order of preference
 */
public record PairingConfig(Duration pairingWait, Duration messagingWait, TimeDomain timeDomain, Duration dedupeTtl, List<String> peerAttributes)
    implements Serializable {

  public enum TimeDomain { EVENT, PROCESSING }

  public static final List<String> DEFAULT_PEER_ATTRIBUTES =
      List.of("peer.service", "server.address", "db.name", "db.system", "messaging.destination.name");

  public PairingConfig {
    Objects.requireNonNull(pairingWait, "pairingWait");
    Objects.requireNonNull(messagingWait, "messagingWait");
    Objects.requireNonNull(timeDomain, "timeDomain");
    Objects.requireNonNull(dedupeTtl, "dedupeTtl");
    peerAttributes = List.copyOf(peerAttributes);
    if (pairingWait.isNegative() || pairingWait.isZero()) {
      throw new IllegalArgumentException("pairing wait must be positive: " + pairingWait);
    }
    if (messagingWait.compareTo(pairingWait) < 0) {
      throw new IllegalArgumentException("messaging wait " + messagingWait + " must be at least the pairing wait " + pairingWait);
    }
    if (dedupeTtl.compareTo(pairingWait) < 0) {
      throw new IllegalArgumentException("dedupe TTL " + dedupeTtl + " must be at least the pairing wait " + pairingWait);
    }
    for (String a : peerAttributes) {
      if (!SpanAttributes.KNOWN_PEER_ATTRIBUTES.contains(a)) {
        throw new IllegalArgumentException("unknown peer attribute '" + a + "', expected one of " + SpanAttributes.KNOWN_PEER_ATTRIBUTES);
      }
    }
  }

  /**
   * The default {@link #messagingWait}: the longest wait whose edges still land in their window under
   * the default allowed lateness (5 minutes) with a minute to spare for the producer span's own duration.
   */
  public static final Duration DEFAULT_MESSAGING_WAIT = Duration.ofMinutes(4);

  public static PairingConfig defaults() {
    return new PairingConfig(Duration.ofSeconds(10), DEFAULT_MESSAGING_WAIT, TimeDomain.EVENT, Duration.ofMinutes(10), DEFAULT_PEER_ATTRIBUTES);
  }
}
