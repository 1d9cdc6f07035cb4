package io.switchyard.xds.envoy;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;

/**
 * The Envoy types our resources may embed in {@code typed_config}. Used to print resources as JSON and to prove
 * that every {@code @type} we emit resolves to a real Envoy message.
 */
public final class EnvoyTypes {
  static final List<Descriptor> EMBEDDED = List.of(
      HttpConnectionManager.getDescriptor(),
      HTTPFault.getDescriptor(),
      JwtAuthentication.getDescriptor(),
      ExtAuthz.getDescriptor(),
      ExtAuthzPerRoute.getDescriptor(),
      RateLimit.getDescriptor(),
      Router.getDescriptor(),
      HttpGrpcAccessLogConfig.getDescriptor(),
      io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig.getDescriptor(),
      OpenTelemetryConfig.getDescriptor(),
      HttpProtocolOptions.getDescriptor(),
      UpstreamTlsContext.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig.getDescriptor(),
      io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate.getDescriptor());

  private static final JsonFormat.TypeRegistry REGISTRY = build();

  private EnvoyTypes() {}

  public static JsonFormat.TypeRegistry registry() {
    return REGISTRY;
  }

  private static JsonFormat.TypeRegistry build() {
    JsonFormat.TypeRegistry.Builder b = JsonFormat.TypeRegistry.newBuilder();
    // Adding a descriptor adds every message of its file and the files it imports.
    b.add(EMBEDDED);
    b.add(List.of(Cluster.getDescriptor(), ClusterLoadAssignment.getDescriptor(), Listener.getDescriptor(),
        RouteConfiguration.getDescriptor(), Bootstrap.getDescriptor()));
    return b.build();
  }
}
