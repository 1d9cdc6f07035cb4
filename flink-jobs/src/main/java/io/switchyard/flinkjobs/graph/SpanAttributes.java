package io.switchyard.flinkjobs.graph;

import io.switchyard.model.v1.SpanRecord;
import java.util.List;

/** Reads the peer-naming attributes of a span by their OpenTelemetry names. */
final class SpanAttributes {
  static final List<String> KNOWN_PEER_ATTRIBUTES = List.of("peer.service", "server.address", "network.peer.address",
      "db.name", "db.system", "messaging.destination.name", "messaging.system", "upstream_cluster");

  private SpanAttributes() {}

  static String get(SpanRecord s, String attribute) {
    return switch (attribute) {
      case "peer.service" -> s.getPeerService();
      case "server.address" -> s.getServerAddress();
      case "network.peer.address" -> s.getNetworkPeerAddress();
      case "db.name" -> s.getDbName();
      case "db.system" -> s.getDbSystem();
      case "messaging.destination.name" -> s.getMessagingDestination();
      case "messaging.system" -> s.getMessagingSystem();
      case "upstream_cluster" -> s.getUpstreamCluster();
      default -> s.getAttributesOrDefault(attribute, "");
    };
  }

  /** The first non-empty attribute in order, or "" when none is set. */
  static String firstOf(SpanRecord s, List<String> attributes) {
    for (String a : attributes) {
      String v = get(s, a);
      if (!v.isEmpty()) {
        return v;
      }
    }
    return "";
  }
}
