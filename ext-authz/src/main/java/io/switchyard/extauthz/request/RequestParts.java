package io.switchyard.extauthz.request;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.util.List;
import java.util.Map;

/**
 * The values of a CheckRequest that the mapping reads, as the protobuf getters return them (empty strings, empty
 * maps and zero for absent fields). Filled either from a parsed {@link CheckRequest} or straight from its wire bytes
 * ({@link CheckRequestWire}), so both go through one mapping.
 */
final class RequestParts {
  String sourcePrincipal = "";
  String sourceIp = "";
  String destinationIp = "";
  String destinationPrincipal = "";
  boolean destinationSocketAddress;
  int destinationPort;
  String sni = "";
  boolean http;
  String id = "";
  String method = "";
  String path = "";
  String host = "";
  /** {@code headers} as protobuf keeps it: in first-seen order, a repeated name's later value replacing the earlier. */
  Map<String, String> headers = Map.of();
  /** {@code headers}' entries in the wire bytes, when each was sent once and in its shortest form; else null. */
  HeaderEntries headerEntries;
  List<HeaderValue> headerList = List.of();
  Map<String, String> contextExtensions = Map.of();
  Map<String, Struct> filterMetadata = Map.of();

  static RequestParts of(CheckRequest request) {
    AttributeContext a = request.getAttributes();
    RequestParts p = new RequestParts();
    p.sourcePrincipal = a.getSource().getPrincipal();
    p.sourceIp = a.getSource().getAddress().getSocketAddress().getAddress();
    p.destinationIp = a.getDestination().getAddress().getSocketAddress().getAddress();
    p.destinationPrincipal = a.getDestination().getPrincipal();
    p.destinationSocketAddress = a.getDestination().getAddress().hasSocketAddress();
    p.destinationPort = a.getDestination().getAddress().getSocketAddress().getPortValue();
    p.sni = a.getTlsSession().getSni();
    p.http = a.hasRequest() && a.getRequest().hasHttp();
    if (p.http) {
      AttributeContext.HttpRequest h = a.getRequest().getHttp();
      p.id = h.getId();
      p.method = h.getMethod();
      p.path = h.getPath();
      p.host = h.getHost();
      p.headers = h.getHeadersMap();
      p.headerList = h.getHeaderMap().getHeadersList();
    }
    p.contextExtensions = a.getContextExtensionsMap();
    p.filterMetadata = a.getMetadataContext().getFilterMetadataMap();
    return p;
  }
}
