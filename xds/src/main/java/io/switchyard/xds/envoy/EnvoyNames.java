package io.switchyard.xds.envoy;

import io.switchyard.xds.mesh.Mesh.Service;

/**
 * Resource and filter names. Clusters follow Istio's conventions ({@code outbound|PORT|SUBSET|FQDN},
 * {@code inbound|PORT||}) because ingest derives source and destination workloads from them.
 */
public final class EnvoyNames {
  public static final String FILTER_FAULT = "envoy.filters.http.fault";
  public static final String FILTER_JWT = "envoy.filters.http.jwt_authn";
  public static final String FILTER_EXT_AUTHZ = "envoy.filters.http.ext_authz";
  public static final String FILTER_RATELIMIT = "envoy.filters.http.ratelimit";
  public static final String FILTER_ROUTER = "envoy.filters.http.router";
  public static final String HCM = "envoy.filters.network.http_connection_manager";
  /**
   * The dynamic-metadata key (under {@link #FILTER_JWT}) of every provider's verified payload: Istio's key for all
   * providers, and the one ext-authz trusts by default ({@code --jwt-payload-key}).
   */
  public static final String JWT_PAYLOAD_KEY = "payload";
  public static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  public static final String CLUSTER_EXT_AUTHZ = "switchyard|ext-authz";
  public static final String CLUSTER_RATELIMIT = "switchyard|ratelimit";
  public static final String CLUSTER_ACCESS_LOG = "switchyard|als";
  public static final String CLUSTER_OTLP = "switchyard|otlp";

  private EnvoyNames() {}

  public static String outbound(Service service, int port, String subset) {
    return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + service.fqdn();
  }

  public static String inbound(int port) {
    return "inbound|" + port + "||";
  }

  public static String jwks(String provider) {
    return "jwks|" + provider;
  }

  public static String listener(int port) {
    return "0.0.0.0_" + port;
  }

  public static String routeConfig(int port) {
    return "http." + port;
  }
}
