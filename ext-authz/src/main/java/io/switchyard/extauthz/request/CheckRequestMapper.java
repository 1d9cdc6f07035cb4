package io.switchyard.extauthz.request;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link RequestAttributes} from Envoy's CheckRequest. Tolerates anything Envoy (or a caller
 * pretending to be Envoy) may send: absent parts become missing attributes, never exceptions.
 */
public final class CheckRequestMapper {
  public static final String JWT_AUTHN_FILTER = "envoy.filters.http.jwt_authn";

  /** Settings that shape the mapping. {@code jwtPayloadKey} is the jwt_authn {@code payload_in_metadata} name. */
  public record Options(PathNormalizer.Mode normalization, int numTrustedProxies, String jwtPayloadKey, int maxHeaderBytes) {
    /**
     * The gRPC server's message limit (4 MiB), so every header of a CheckRequest it accepts is read: Envoy's RBAC sees
     * them all, and Envoy takes up to 8 MiB of headers when {@code max_request_headers_kb} is raised. A smaller budget
     * dropped the headers after it, and padding ahead of a header hid it from a DENY on it.
     */
    public static final int DEFAULT_MAX_HEADER_BYTES = 4 * 1024 * 1024;

    public static Options defaults() {
      return new Options(PathNormalizer.Mode.BASE, 0, "payload", DEFAULT_MAX_HEADER_BYTES);
    }
  }

  private final Options options;
  private final PathNormalizer normalizer;

  public CheckRequestMapper(Options options) {
    this.options = options;
    this.normalizer = new PathNormalizer(options.normalization());
  }

  public RequestAttributes map(CheckRequest request) {
    return map(RequestParts.of(request));
  }

  /**
   * Maps a CheckRequest from its wire bytes. Envoy's usual requests are read without building the protobuf message
   * ({@link CheckRequestWire}); anything else is parsed by protobuf first. Both give the same attributes.
   *
   * @throws InvalidProtocolBufferException when the bytes are not a CheckRequest
   */
  public RequestAttributes map(byte[] wire) throws InvalidProtocolBufferException {
    RequestParts p = CheckRequestWire.read(wire);
    return p != null ? map(p) : map(CheckRequest.parseFrom(wire));
  }

  private RequestAttributes map(RequestParts p) {
    RequestAttributes.Builder b = RequestAttributes.builder().normalizer(normalizer);
    b.sourcePrincipal(p.sourcePrincipal);
    b.sourceIp(p.sourceIp);
    b.destinationIp(p.destinationIp);
    if (p.destinationSocketAddress) {
      b.destinationPort(p.destinationPort);
    }
    b.sni(p.sni);
    b.http(p.http);
    if (p.http) {
      b.method(p.method).path(p.path).requestId(p.id);
      int budget = options.maxHeaderBytes();
      Map<String, String> headers = p.headers;
      if (!headers.isEmpty() && adoptable(headers, budget)) {
        b.adoptHeaders(headers, p.headerEntries);
      } else if (!headers.isEmpty()) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
          budget -= e.getKey().length() + e.getValue().length();
          if (budget < 0) {
            break;
          }
          b.header(e.getKey(), e.getValue());
        }
      } else {
        for (HeaderValue hv : p.headerList) {
          String v = hv.getRawValue().isEmpty() ? hv.getValue() : hv.getRawValue().toString(StandardCharsets.UTF_8);
          budget -= hv.getKey().length() + v.length();
          if (budget < 0) {
            break;
          }
          b.header(hv.getKey(), v);
        }
      }
      RequestAttributes probe = null;
      String host = p.host;
      if (host.isEmpty()) {
        probe = b.build();
        host = probe.header(":authority") != null ? probe.header(":authority") : probe.header("host");
      }
      b.host(host);
      if (p.method.isEmpty()) {
        probe = probe == null ? b.build() : probe;
        b.method(probe.header(":method"));
      }
      if (p.path.isEmpty()) {
        probe = probe == null ? b.build() : probe;
        b.path(probe.header(":path"));
      }
      if (options.numTrustedProxies() > 0) {
        String xff = headers.get("x-forwarded-for");
        b.remoteIp(remoteFromXff(xff, options.numTrustedProxies()));
      }
    }
    b.workload(memoizedWorkload(p.contextExtensions, p.destinationPrincipal));
    Map<String, Struct> filterMetadata = p.filterMetadata;
    if (!filterMetadata.isEmpty()) {
      b.filterMetadataLookup((filter, key) -> {
        Struct s = filterMetadata.get(filter);
        Value v = s == null ? null : s.getFieldsMap().get(key);
        return v == null ? null : toJava(v);
      });
    }
    Struct jwt = filterMetadata.get(JWT_AUTHN_FILTER);
    if (jwt != null) {
      Value payload = jwt.getFieldsMap().get(options.jwtPayloadKey());
      if (payload != null && payload.hasStructValue()) {
        b.jwtAuthnPayload(toMap(payload.getStructValue()));
      }
    }
    return b.build();
  }

  /**
   * Envoy sends lower-case names (a map has no duplicates), so the common request needs no copy: the
   * protobuf map is unmodifiable already. Only oversized or upper-case headers take the copying path.
   */
  private static boolean adoptable(Map<String, String> headers, int budget) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      String k = e.getKey();
      budget -= k.length() + e.getValue().length();
      if (budget < 0) {
        return false;
      }
      for (int i = 0; i < k.length(); i++) {
        char c = k.charAt(i);
        if (c >= 'A' && c <= 'Z') {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * With N trusted proxies in front of Envoy the client is the N-th X-Forwarded-For entry from the
   * right; a shorter header means the chain is not trustworthy, so the peer address stands.
   */
  static String remoteFromXff(String xff, int trusted) {
    if (xff == null) {
      return null;
    }
    String[] parts = xff.split(",");
    if (parts.length < trusted) {
      return null;
    }
    return parts[parts.length - trusted].trim();
  }

  private static final int WORKLOAD_SLOTS = 64;
  /**
   * Recently seen context extensions and their workload, one per slot: a workload's requests carry
   * the same extensions, and comparing them is cheaper than building the workload (and its labels)
   * again. A slot is trusted only when every extension is equal, in order.
   */
  private final WorkloadMemo[] workloads = new WorkloadMemo[WORKLOAD_SLOTS];

  private record WorkloadMemo(String[] extensions, WorkloadRef workload) {
    boolean matches(Map<String, String> ext) {
      if (ext.size() * 2 != extensions.length) {
        return false;
      }
      int i = 0;
      for (Map.Entry<String, String> e : ext.entrySet()) {
        if (!extensions[i].equals(e.getKey()) || !extensions[i + 1].equals(e.getValue())) {
          return false;
        }
        i += 2;
      }
      return true;
    }
  }

  private WorkloadRef memoizedWorkload(Map<String, String> ext, String destinationPrincipal) {
    String ns = ext.get("namespace");
    if (ns == null || ns.isEmpty()) {
      // The namespace then comes from the principal, which the memo does not compare.
      return workload(ext, destinationPrincipal);
    }
    String name = ext.get("workload");
    int slot = (ns.hashCode() * 31 + (name == null ? 0 : name.hashCode())) & (WORKLOAD_SLOTS - 1);
    WorkloadMemo m = workloads[slot];
    if (m != null && m.matches(ext)) {
      return m.workload();
    }
    String[] flat = new String[ext.size() * 2];
    int i = 0;
    for (Map.Entry<String, String> e : ext.entrySet()) {
      flat[i++] = e.getKey();
      flat[i++] = e.getValue();
    }
    WorkloadRef w = workload(ext, null);
    workloads[slot] = new WorkloadMemo(flat, w);
    return w;
  }

  static WorkloadRef workload(Map<String, String> ext, String destinationPrincipal) {
    String ns = ext.get("namespace");
    if (ns == null || ns.isEmpty()) {
      ns = spiffeNamespace(destinationPrincipal);
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : ext.entrySet()) {
      if (e.getKey().startsWith("label.") && e.getKey().length() > "label.".length()) {
        labels.put(e.getKey().substring("label.".length()), e.getValue());
      }
    }
    String name = ext.get("workload");
    return new WorkloadRef(ns, name == null || name.isEmpty() ? null : name, labels);
  }

  /** The {@code ns} of {@code spiffe://td/ns/<ns>/sa/<sa>}, or null. */
  public static String spiffeNamespace(String principal) {
    if (principal == null || !principal.startsWith("spiffe://")) {
      return null;
    }
    int i = principal.indexOf("/ns/");
    if (i < 0) {
      return null;
    }
    int start = i + 4;
    int end = principal.indexOf('/', start);
    String ns = end < 0 ? principal.substring(start) : principal.substring(start, end);
    return ns.isEmpty() ? null : ns;
  }

  public static Map<String, Object> toMap(Struct s) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : s.getFieldsMap().entrySet()) {
      out.put(e.getKey(), toJava(e.getValue()));
    }
    return out;
  }

  private static Object toJava(Value v) {
    switch (v.getKindCase()) {
      case STRING_VALUE:
        return v.getStringValue();
      case NUMBER_VALUE:
        double d = v.getNumberValue();
        return d == Math.rint(d) && Math.abs(d) < 9.0e15 ? (Object) (long) d : (Object) d;
      case BOOL_VALUE:
        return v.getBoolValue();
      case STRUCT_VALUE:
        return toMap(v.getStructValue());
      case LIST_VALUE:
        ListValue l = v.getListValue();
        List<Object> out = new ArrayList<>(l.getValuesCount());
        for (Value e : l.getValuesList()) {
          out.add(toJava(e));
        }
        return out;
      default:
        return null;
    }
  }
}
