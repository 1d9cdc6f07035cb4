package io.switchyard.extauthz.authn;

import io.switchyard.extauthz.request.RequestIdentity;
import java.util.List;
import java.util.Map;

/**
 * The outcome of RequestAuthentication for one request. {@code authenticated == false} means an
 * invalid token (401); a request without any token is authenticated with {@link RequestIdentity#NONE}.
 * {@code expiresAtMillis} bounds how long anything derived from this result may be cached.
 */
public record AuthnResult(boolean authenticated, RequestIdentity identity, String failure, long expiresAtMillis,
    Map<String, String> headersToSet, List<String> headersToRemove, List<String> queryParamsToRemove, boolean cacheable) {

  public static final AuthnResult ANONYMOUS = new AuthnResult(true, RequestIdentity.NONE, null, Long.MAX_VALUE, Map.of(), List.of(), List.of(), true);

  public AuthnResult {
    headersToSet = Map.copyOf(headersToSet);
    headersToRemove = List.copyOf(headersToRemove);
    queryParamsToRemove = List.copyOf(queryParamsToRemove);
  }

  static AuthnResult failed(String reason, boolean cacheable) {
    return new AuthnResult(false, RequestIdentity.NONE, reason, Long.MAX_VALUE, Map.of(), List.of(), List.of(), cacheable);
  }
}
