package io.switchyard.extauthz.request;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The typed view of one Check request that policies are evaluated against. Built once per request;
 * missing attributes are null (or -1 for the port), never empty strings standing in for "unknown".
 */
public final class RequestAttributes {
  /** The name Envoy gives the Host header in its request header map, and so in a CheckRequest's headers. */
  public static final String AUTHORITY = ":authority";
  private final boolean http;
  private final String sourcePrincipal;
  private final String sourceIp;
  private final String remoteIp;
  private final String destinationIp;
  // Parsed on first use: most policy sets never look at addresses, and a cache hit never evaluates.
  private byte[] sourceIpBytes;
  private byte[] remoteIpBytes;
  private byte[] destinationIpBytes;
  private final int destinationPort;
  private final String sni;
  private final String method;
  private final String host;
  private final String rawPath;
  private final String path;
  private final String query;
  private final String pathError;
  private final Map<String, String> headers;
  private final HeaderEntries headerEntries;
  private final WorkloadRef workload;
  private final Map<String, Object> jwtAuthnPayload;
  private final BiFunction<String, String, Object> filterMetadata;
  private final String requestId;

  private RequestAttributes(Builder b) {
    this.http = b.http;
    this.sourcePrincipal = emptyToNull(b.sourcePrincipal);
    this.sourceIp = emptyToNull(b.sourceIp);
    this.remoteIp = b.remoteIp == null ? sourceIp : emptyToNull(b.remoteIp);
    this.destinationIp = emptyToNull(b.destinationIp);
    this.destinationPort = b.destinationPort;
    this.sni = emptyToNull(b.sni);
    this.method = emptyToNull(b.method);
    // Kept when empty: HTTP/1.1 allows an empty Host, and Istio's hosts "*" (Envoy's present_match) matches it.
    this.host = b.host;
    this.rawPath = b.rawPath;
    PathNormalizer.Result r = http ? b.normalizer.normalize(b.rawPath) : new PathNormalizer.Result(null, null, null);
    this.path = r.path();
    this.query = r.query();
    this.pathError = r.error();
    this.headers = b.adopted != null ? b.adopted : Collections.unmodifiableMap(b.headers);
    this.headerEntries = b.adopted != null ? b.adoptedEntries : null;
    this.workload = b.workload;
    this.jwtAuthnPayload = b.jwtAuthnPayload;
    this.filterMetadata = b.filterMetadata;
    this.requestId = emptyToNull(b.requestId);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** False for Check calls from Envoy's network (TCP) ext_authz filter, which carry no HTTP request. */
  public boolean http() {
    return http;
  }

  public String sourcePrincipal() {
    return sourcePrincipal;
  }

  public String sourceIp() {
    return sourceIp;
  }

  public byte[] sourceIpBytes() {
    byte[] v = sourceIpBytes;
    if (v == null && sourceIp != null) {
      v = sourceIpBytes = IpAddresses.parse(sourceIp);
    }
    return v;
  }

  public String remoteIp() {
    return remoteIp;
  }

  public byte[] remoteIpBytes() {
    byte[] v = remoteIpBytes;
    if (v == null && remoteIp != null) {
      v = remoteIpBytes = IpAddresses.parse(remoteIp);
    }
    return v;
  }

  public String destinationIp() {
    return destinationIp;
  }

  public byte[] destinationIpBytes() {
    byte[] v = destinationIpBytes;
    if (v == null && destinationIp != null) {
      v = destinationIpBytes = IpAddresses.parse(destinationIp);
    }
    return v;
  }

  public int destinationPort() {
    return destinationPort;
  }

  public String sni() {
    return sni;
  }

  public String method() {
    return method;
  }

  /** The :authority (Host), empty when the request sent it empty, null when there is none. */
  public String host() {
    return host;
  }

  public String rawPath() {
    return rawPath;
  }

  /** The normalised path without query and fragment. */
  public String path() {
    return path;
  }

  /** The raw query string (without '?'), or null. */
  public String query() {
    return query;
  }

  /** Why the path is unacceptable (Envoy would answer 400), or null. */
  public String pathError() {
    return pathError;
  }

  /** Request headers by lower-case name; duplicates already joined with ",". */
  public Map<String, String> headers() {
    return headers;
  }

  /** The header map entries as the request's wire bytes held them, in {@link #headers()} order; null if not known. */
  public HeaderEntries headerEntries() {
    return headerEntries;
  }

  /**
   * The header of that name; {@code host} and {@code :authority} name one header, as in Envoy's request header map.
   * The pseudo-headers Envoy also sends as fields fall back to them: Envoy always fills {@code http.host},
   * {@code http.method} and {@code http.path}, while the header map may lack the entries under {@code allowed_headers}
   * or the header byte budget — and Envoy's RBAC filter would still see them.
   */
  public String header(String lowerCaseName) {
    String v = headers.get(lowerCaseName);
    if (v != null) {
      return v;
    }
    switch (lowerCaseName) {
      case AUTHORITY:
      case "host":
        return host;
      case ":method":
        return method;
      case ":path":
        return rawPath == null || rawPath.isEmpty() ? null : rawPath;
      default:
        return null;
    }
  }

  public WorkloadRef workload() {
    return workload;
  }

  /** The payload Envoy's jwt_authn filter verified and put in metadata, or null. */
  public Map<String, Object> jwtAuthnPayload() {
    return jwtAuthnPayload;
  }

  /**
   * The value under {@code key} of Envoy's dynamic metadata for {@code filter} (as sent in
   * {@code metadata_context.filter_metadata}), converted to String/Long/Double/Boolean/List/Map, or null.
   */
  public Object filterMetadata(String filter, String key) {
    return filterMetadata == null ? null : filterMetadata.apply(filter, key);
  }

  public String requestId() {
    return requestId;
  }

  public static final class Builder {
    private boolean http = true;
    private String sourcePrincipal;
    private String sourceIp;
    private String remoteIp;
    private String destinationIp;
    private int destinationPort = -1;
    private String sni;
    private String method;
    private String host;
    private String rawPath;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Map<String, String> adopted;
    private HeaderEntries adoptedEntries;
    private WorkloadRef workload = WorkloadRef.UNKNOWN;
    private Map<String, Object> jwtAuthnPayload;
    private BiFunction<String, String, Object> filterMetadata;
    private Map<String, Map<String, Object>> filterMetadataMaps;
    private String requestId;
    private PathNormalizer normalizer = new PathNormalizer(PathNormalizer.Mode.BASE);

    public Builder http(boolean v) {
      http = v;
      return this;
    }

    public Builder sourcePrincipal(String v) {
      sourcePrincipal = v;
      return this;
    }

    public Builder sourceIp(String v) {
      sourceIp = v;
      return this;
    }

    /** The original client address; defaults to the source IP (no trusted proxies). */
    public Builder remoteIp(String v) {
      remoteIp = v;
      return this;
    }

    public Builder destinationIp(String v) {
      destinationIp = v;
      return this;
    }

    public Builder destinationPort(int v) {
      destinationPort = v;
      return this;
    }

    public Builder sni(String v) {
      sni = v;
      return this;
    }

    public Builder method(String v) {
      method = v;
      return this;
    }

    public Builder host(String v) {
      host = v;
      return this;
    }

    public Builder path(String v) {
      rawPath = v;
      return this;
    }

    /** Adds a header; the name is lower-cased and a repeated name is joined with "," as Envoy does. */
    public Builder header(String name, String value) {
      headers.merge(name.toLowerCase(java.util.Locale.ROOT), value, (a, b) -> a + "," + b);
      return this;
    }

    /**
     * Uses {@code v} as the whole header map without copying. The caller guarantees what
     * {@link #header} would otherwise ensure: an unmodifiable map with lower-case names and no duplicates.
     */
    public Builder adoptHeaders(Map<String, String> v) {
      adopted = v;
      adoptedEntries = null;
      return this;
    }

    /** As {@link #adoptHeaders(Map)}, with {@code entries} holding exactly {@code v}'s entries, in its order. */
    Builder adoptHeaders(Map<String, String> v, HeaderEntries entries) {
      adopted = v;
      adoptedEntries = entries;
      return this;
    }

    public Builder workload(WorkloadRef v) {
      workload = v;
      return this;
    }

    /** Looks dynamic metadata up on demand: converting it all for every request would be wasted work. */
    public Builder filterMetadataLookup(BiFunction<String, String, Object> lookup) {
      filterMetadata = lookup;
      filterMetadataMaps = null;
      return this;
    }

    /** Sets the dynamic metadata of one filter (tests and the offline tool). */
    public Builder filterMetadata(String filter, Map<String, Object> fields) {
      if (filterMetadataMaps == null) {
        filterMetadataMaps = new LinkedHashMap<>();
        Map<String, Map<String, Object>> maps = filterMetadataMaps;
        filterMetadata = (f, k) -> maps.containsKey(f) ? maps.get(f).get(k) : null;
      }
      filterMetadataMaps.put(filter, Map.copyOf(fields));
      return this;
    }

    public Builder jwtAuthnPayload(Map<String, Object> v) {
      jwtAuthnPayload = v;
      return this;
    }

    public Builder requestId(String v) {
      requestId = v;
      return this;
    }

    public Builder normalizer(PathNormalizer v) {
      normalizer = v;
      return this;
    }

    public RequestAttributes build() {
      return new RequestAttributes(this);
    }
  }
}
