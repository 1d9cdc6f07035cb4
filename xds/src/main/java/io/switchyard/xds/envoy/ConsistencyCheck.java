package io.switchyard.xds.envoy;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a node group's resources before they are published: what Envoy would reject, or worse accept and then
 * fail on, is caught here. Goes further than java-control-plane's {@code ensureConsistent} (which knows nothing of
 * route to cluster references or API listeners).
 */
public final class ConsistencyCheck {
  private ConsistencyCheck() {}

  /** Returns every problem found; empty when the resources are consistent. */
  public static List<String> problems(EnvoyResources r) {
    List<String> problems = new ArrayList<>();
    Set<String> clusterNames = new HashSet<>();
    Set<String> edsClusters = new HashSet<>();
    for (Cluster c : r.clusters()) {
      if (!clusterNames.add(c.getName())) {
        problems.add("duplicate cluster " + c.getName());
      }
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        if (!c.getEdsClusterConfig().getEdsConfig().hasAds()) {
          problems.add("EDS cluster " + c.getName() + " does not take its endpoints from ADS");
        }
        edsClusters.add(c.getName());
      } else if (c.getLoadAssignment().getEndpointsCount() == 0) {
        problems.add("cluster " + c.getName() + " has neither EDS nor inline endpoints");
      }
      if (!c.hasConnectTimeout()) {
        problems.add("cluster " + c.getName() + " has no connect_timeout");
      }
    }
    Set<String> assignments = new HashSet<>();
    for (ClusterLoadAssignment cla : r.endpoints()) {
      if (!edsClusters.contains(cla.getClusterName())) {
        problems.add("endpoints for " + cla.getClusterName() + " which is not an EDS cluster of this group");
      }
      assignments.add(cla.getClusterName());
    }
    for (String eds : edsClusters) {
      if (!assignments.contains(eds)) {
        problems.add("EDS cluster " + eds + " has no endpoints resource");
      }
    }
    Set<String> routeNames = new HashSet<>();
    for (RouteConfiguration rc : r.routes()) {
      if (!routeNames.add(rc.getName())) {
        problems.add("duplicate route configuration " + rc.getName());
      }
    }
    Set<String> referencedRoutes = new HashSet<>();
    Set<String> listenerNames = new HashSet<>();
    for (Listener l : r.listeners()) {
      if (!listenerNames.add(l.getName())) {
        problems.add("duplicate listener " + l.getName());
      }
      List<HttpConnectionManager> hcms = new ArrayList<>();
      if (l.hasApiListener()) {
        hcms.add(unpackHcm(l.getApiListener().getApiListener(), l.getName(), problems));
      }
      for (FilterChain fc : l.getFilterChainsList()) {
        for (Filter f : fc.getFiltersList()) {
          if (!f.hasTypedConfig()) {
            problems.add("listener " + l.getName() + " filter " + f.getName() + " has no typed_config");
          } else if (f.getTypedConfig().is(HttpConnectionManager.class)) {
            hcms.add(unpackHcm(f.getTypedConfig(), l.getName(), problems));
          }
        }
      }
      if (hcms.isEmpty()) {
        problems.add("listener " + l.getName() + " has no HTTP connection manager");
      }
      for (HttpConnectionManager hcm : hcms) {
        if (hcm == null) {
          continue;
        }
        if (hcm.hasRds()) {
          referencedRoutes.add(hcm.getRds().getRouteConfigName());
          if (!routeNames.contains(hcm.getRds().getRouteConfigName())) {
            problems.add("listener " + l.getName() + " uses route configuration "
                + hcm.getRds().getRouteConfigName() + " which is not pushed");
          }
        }
        List<HttpFilter> filters = hcm.getHttpFiltersList();
        if (filters.isEmpty() || !filters.get(filters.size() - 1).getName().equals(EnvoyNames.FILTER_ROUTER)) {
          problems.add("listener " + l.getName() + ": the router must be the last HTTP filter");
        }
        for (HttpFilter f : filters) {
          if (!f.hasTypedConfig()) {
            problems.add("listener " + l.getName() + " HTTP filter " + f.getName() + " has no typed_config");
          }
        }
      }
    }
    for (RouteConfiguration rc : r.routes()) {
      if (!referencedRoutes.contains(rc.getName())) {
        problems.add("route configuration " + rc.getName() + " is used by no listener");
      }
      for (VirtualHost vh : rc.getVirtualHostsList()) {
        for (Route route : vh.getRoutesList()) {
          for (String cluster : clustersOf(route)) {
            if (!clusterNames.contains(cluster)) {
              problems.add("route " + rc.getName() + "/" + route.getName() + " points at cluster " + cluster
                  + " which is not pushed");
            }
          }
        }
      }
    }
    List<Message> all = new ArrayList<>();
    all.addAll(r.clusters());
    all.addAll(r.endpoints());
    all.addAll(r.listeners());
    all.addAll(r.routes());
    for (Message m : all) {
      checkAnys(m, problems);
    }
    return problems;
  }

  /** Throws when {@link #problems} finds anything. */
  public static void require(EnvoyResources r) {
    List<String> problems = problems(r);
    if (!problems.isEmpty()) {
      throw new IllegalStateException("inconsistent resources for node group " + r.nodeGroup() + ": "
          + String.join("; ", problems));
    }
  }

  private static HttpConnectionManager unpackHcm(Any any, String listener, List<String> problems) {
    try {
      return any.unpack(HttpConnectionManager.class);
    } catch (InvalidProtocolBufferException e) {
      problems.add("listener " + listener + ": HTTP connection manager does not parse: " + e.getMessage());
      return null;
    }
  }

  private static List<String> clustersOf(Route route) {
    if (!route.hasRoute()) {
      return List.of();
    }
    if (route.getRoute().hasWeightedClusters()) {
      return route.getRoute().getWeightedClusters().getClustersList().stream()
          .map(WeightedCluster.ClusterWeight::getName).toList();
    }
    return List.of(route.getRoute().getCluster());
  }

  /** Every Any, however deep, must name a known Envoy type and parse as that type. */
  private static void checkAnys(Message m, List<String> problems) {
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      List<?> values = f.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
      for (Object v : values) {
        Message child = (Message) v;
        if (f.isMapField()) {
          Object value = child.getField(child.getDescriptorForType().findFieldByName("value"));
          if (value instanceof Message mv) {
            child = mv;
          } else {
            continue;
          }
        }
        if (child.getDescriptorForType().getFullName().equals(Any.getDescriptor().getFullName())) {
          try {
            checkAny(child instanceof Any a ? a : Any.parseFrom(child.toByteString()), problems);
          } catch (InvalidProtocolBufferException ex) {
            problems.add("Any does not parse: " + ex.getMessage());
          }
        } else {
          checkAnys(child, problems);
        }
      }
    }
  }

  private static void checkAny(Any any, List<String> problems) {
    String type = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    Descriptor d = EnvoyTypes.registry().find(type);
    if (d == null) {
      problems.add("typed_config of unknown type " + any.getTypeUrl());
      return;
    }
    try {
      checkAnys(DynamicMessage.parseFrom(d, any.getValue()), problems);
    } catch (InvalidProtocolBufferException ex) {
      problems.add("typed_config " + any.getTypeUrl() + " does not parse: " + ex.getMessage());
    }
  }
}
