package io.switchyard.extauthz.request;

import java.util.Map;

/**
 * The verified end-user identity of a request (from a JWT checked here, or from Envoy's jwt_authn
 * metadata), or {@link #NONE}. {@code claims} is the JSON payload as maps, lists and scalars.
 */
public record RequestIdentity(String issuer, String subject, Map<String, Object> claims) {
  public static final RequestIdentity NONE = new RequestIdentity(null, null, Map.of());

  public boolean present() {
    return issuer != null;
  }

  /** Istio's request principal, {@code iss/sub}; null without a verified token. */
  public String principal() {
    return issuer == null ? null : issuer + "/" + (subject == null ? "" : subject);
  }
}
