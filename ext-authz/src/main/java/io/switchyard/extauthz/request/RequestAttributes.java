package io.switchyard.extauthz.request;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The typed view of one Check request that policies are evaluated against. Built once per request;
 * missing attributes are null (or -1 for the port), never empty strings standing in for "unknown".
 */
public final class RequestAttributes {
  private final boolean http;
  private final String sourcePrincipal;
  private final String sourceIp;
  private final byte[] sourceIpBytes;
  private final String remoteIp;
  private final byte[] remoteIpBytes;
  private final String destinationIp;
  private final byte[] destinationIpBytes;
  private final int destinationPort;
  private final String sni;
  private final String method;
  private final String host;
  private final String rawPath;
  private final String path;
  private final String query;
  private final String pathError;
  private final Map<String, String> headers;
  private final WorkloadRef workload;
  private final Map<String, Object> jwtAuthnPayload;
  private final String requestId;

  private RequestAttributes(Builder b) {
    this.http = b.http;
    this.sourcePrincipal = emptyToNull(b.sourcePrincipal);
    this.sourceIp = emptyToNull(b.sourceIp);
    this.sourceIpBytes = IpAddresses.parse(sourceIp);
    this.remoteIp = b.remoteIp == null ? sourceIp : emptyToNull(b.remoteIp);
    this.remoteIpBytes = IpAddresses.parse(remoteIp);
    this.destinationIp = emptyToNull(b.destinationIp);
    this.destinationIpBytes = IpAddresses.parse(destinationIp);
    this.destinationPort = b.destinationPort;
    this.sni = emptyToNull(b.sni);
    this.method = emptyToNull(b.method);
    this.host = emptyToNull(b.host);
    this.rawPath = b.rawPath;
    PathNormalizer.Result r = http ? b.normalizer.normalize(b.rawPath) : new PathNormalizer.Result(null, null, null);
    this.path = r.path();
    this.query = r.query();
    this.pathError = r.error();
    this.headers = Collections.unmodifiableMap(b.headers);
    this.workload = b.workload;
    this.jwtAuthnPayload = b.jwtAuthnPayload;
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
    return sourceIpBytes;
  }

  public String remoteIp() {
    return remoteIp;
  }

  public byte[] remoteIpBytes() {
    return remoteIpBytes;
  }

  public String destinationIp() {
    return destinationIp;
  }

  public byte[] destinationIpBytes() {
    return destinationIpBytes;
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

  public String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  public WorkloadRef workload() {
    return workload;
  }

  /** The payload Envoy's jwt_authn filter verified and put in metadata, or null. */
  public Map<String, Object> jwtAuthnPayload() {
    return jwtAuthnPayload;
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
    private WorkloadRef workload = WorkloadRef.UNKNOWN;
    private Map<String, Object> jwtAuthnPayload;
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

    public Builder workload(WorkloadRef v) {
      workload = v;
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
