package io.switchyard.flinkjobs.graph;

import java.util.List;

/** Reads the peer-naming attributes of a span by their OpenTelemetry names. */
final class SpanAttributes {
  static final List<String> KNOWN_PEER_ATTRIBUTES = List.of("peer.service", "server.address", "network.peer.address",
      "db.name", "db.system", "messaging.destination.name", "messaging.system", "upstream_cluster");

  private SpanAttributes() {}

  static String get(SpanFields s, String attribute) {
    return switch (attribute) {
      case "peer.service" -> s.peerService();
      case "server.address" -> s.serverAddress();
      case "network.peer.address" -> s.networkPeerAddress();
      case "db.name" -> s.dbName();
      case "db.system" -> s.dbSystem;
      case "messaging.destination.name" -> s.messagingDestination();
      case "messaging.system" -> s.messagingSystem;
      case "upstream_cluster" -> s.upstreamCluster();
      default -> s.attributes.getOrDefault(attribute, "");
    };
  }

  /** The first non-empty attribute in order, or "" when none is set. */
  static String firstOf(SpanFields s, List<String> attributes) {
    for (String a : attributes) {
      String v = get(s, a);
      if (!v.isEmpty()) {
        return v;
      }
    }
    return "";
  }
}
