package io.switchyard.ingest.mapping;

/**
 * An Envoy upstream cluster name read with Istio's conventions: {@code outbound|<port>|<subset>|<fqdn>} is traffic
 * this proxy sends (it reports as the source), {@code inbound|<port>|<name>|<fqdn>} (fqdn empty since Istio 1.8)
 * is traffic it receives (it reports as the destination). Passthrough clusters carry traffic to or from
 * destinations outside the mesh registry. Any other name is a plain Envoy cluster this proxy calls.
 */
record UpstreamCluster(Direction direction, int port, String subset, String fqdn, String raw) {
  enum Direction { OUTBOUND, INBOUND, PASSTHROUGH_OUT, PASSTHROUGH_IN, BLACKHOLE, OTHER, NONE }

  static UpstreamCluster parse(String name) {
    if (name == null || name.isEmpty() || "-".equals(name)) {
      return new UpstreamCluster(Direction.NONE, 0, "", "", "");
    }
    if (name.startsWith("outbound|") || name.startsWith("inbound|")) {
      String[] p = name.split("\\|", -1);
      if (p.length == 4) {
        int port = parsePort(p[1]);
        boolean out = p[0].equals("outbound");
        // Before 1.8 the third inbound part is the port name, not a subset.
        String subset = out ? p[2] : "";
        return new UpstreamCluster(out ? Direction.OUTBOUND : Direction.INBOUND, port, subset, p[3], name);
      }
    }
    if (name.equals("PassthroughCluster")) {
      return new UpstreamCluster(Direction.PASSTHROUGH_OUT, 0, "", "", name);
    }
    if (name.startsWith("InboundPassthroughCluster")) {
      return new UpstreamCluster(Direction.PASSTHROUGH_IN, 0, "", "", name);
    }
    if (name.equals("BlackHoleCluster")) {
      return new UpstreamCluster(Direction.BLACKHOLE, 0, "", "", name);
    }
    return new UpstreamCluster(Direction.OTHER, 0, "", "", name);
  }

  boolean receivedByThisProxy() {
    return direction == Direction.INBOUND || direction == Direction.PASSTHROUGH_IN;
  }

  private static int parsePort(String s) {
    try {
      int port = Integer.parseInt(s);
      return port >= 0 && port <= 65535 ? port : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
