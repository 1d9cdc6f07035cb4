package io.switchyard.extauthz.grpc;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.request.RequestAttributes;
import java.util.Map;

/**
 * Turns a (possibly cached) decision into Envoy's CheckResponse, in wire form, for one call. Everything specific to
 * the call — decision id, the realm of WWW-Authenticate, the caller's identity header — is added here,
 * never cached.
 */
public final class CheckResponses {
  public static final String PRINCIPAL_HEADER = "x-switchyard-principal";
  public static final String DENIED_BODY = "RBAC: access denied";

  /** {@code namePolicyInDenial}: say which policy denied (tells callers about policies, so off by default). */
  public record Options(boolean namePolicyInDenial, boolean principalHeader) {}

  private final Options options;

  public CheckResponses(Options options) {
    this.options = options;
  }

  private static final Status OK = Status.newBuilder().setCode(Code.OK_VALUE).build();

  /**
   * The parts of a response that depend on the decision alone, encoded once per decision and reused
   * by every cache hit. Only the decision id (and, for 401s, the realm; for an ALLOW without a request
   * identity, the peer's principal header) are added per call.
   */
  public static final class Prepared {
    private final Decision decision;
    private final Struct metadata;
    private final EncodedCheckResponse.Template fixed;
    private final boolean peerPrincipal;
    private volatile PeerOk lastPeer;

    private Prepared(Decision decision, Struct metadata, CheckResponse fixed, boolean peerPrincipal) {
      this.decision = decision;
      this.metadata = metadata;
      this.fixed = fixed == null ? null : new EncodedCheckResponse.Template(fixed, metadata);
      this.peerPrincipal = peerPrincipal;
    }

    public Decision decision() {
      return decision;
    }
  }

  /** The OK response for the last peer principal seen: consecutive hits usually come from one caller. */
  private record PeerOk(String principal, EncodedCheckResponse.Template response) {}

  public Prepared prepare(Decision d) {
    Struct meta = metadata(d);
    if (d.result() == Decision.Result.ALLOW) {
      boolean fromPeer = options.principalHeader() && !d.authn().identity().present();
      String principal = fromPeer ? null : d.authn().identity().present() ? d.authn().identity().principal() : null;
      CheckResponse fixed = fromPeer ? null : CheckResponse.newBuilder().setStatus(OK).setOkResponse(ok(d, principal)).build();
      return new Prepared(d, meta, fixed, fromPeer);
    }
    if (d.result() == Decision.Result.UNAUTHENTICATED) {
      return new Prepared(d, meta, null, false);
    }
    if (d.httpStatus() == 400) {
      return new Prepared(d, meta, CheckResponse.newBuilder().setStatus(Status.newBuilder().setCode(Code.INVALID_ARGUMENT_VALUE).setMessage(d.reason()))
          .setDeniedResponse(denied(StatusCode.BadRequest, "Bad Request")).build(), false);
    }
    String body = options.namePolicyInDenial() && !d.matchedPolicy().isEmpty()
        ? DENIED_BODY + " (policy " + d.matchedPolicy() + ")" : DENIED_BODY;
    return new Prepared(d, meta, CheckResponse.newBuilder().setStatus(Status.newBuilder().setCode(Code.PERMISSION_DENIED_VALUE))
        .setDeniedResponse(denied(StatusCode.Forbidden, body)).build(), false);
  }

  private OkHttpResponse ok(Decision d, String principal) {
    OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
    for (Map.Entry<String, String> h : d.authn().headersToSet().entrySet()) {
      ok.addHeaders(overwrite(h.getKey(), h.getValue()));
    }
    if (options.principalHeader()) {
      if (principal != null) {
        ok.addHeaders(overwrite(PRINCIPAL_HEADER, principal));
      } else {
        ok.addHeadersToRemove(PRINCIPAL_HEADER);
      }
    }
    ok.addAllHeadersToRemove(d.authn().headersToRemove());
    ok.addAllQueryParametersToRemove(d.authn().queryParamsToRemove());
    return ok.build();
  }

  public EncodedCheckResponse build(Decision d, RequestAttributes r, String decisionId) {
    return build(prepare(d), r, decisionId);
  }

  public EncodedCheckResponse build(Prepared p, RequestAttributes r, String decisionId) {
    if (p.peerPrincipal) {
      String principal = r.sourcePrincipal();
      PeerOk last = p.lastPeer;
      if (last == null || !java.util.Objects.equals(last.principal(), principal)) {
        last = new PeerOk(principal, new EncodedCheckResponse.Template(
            CheckResponse.newBuilder().setStatus(OK).setOkResponse(ok(p.decision, principal)).build(), p.metadata));
        p.lastPeer = last;
      }
      return last.response().withDecisionId(decisionId);
    }
    if (p.fixed != null) {
      return p.fixed.withDecisionId(decisionId);
    }
    // A 401 names the request's URL in WWW-Authenticate, so it is the one response built per call. Envoy's jwt_authn
    // sends the same header with the 403 it answers for a token of another audience.
    Decision d = p.decision;
    boolean forbidden = d.httpStatus() == 403;
    String realm = "http://" + (r.host() == null ? "" : r.host()) + (r.path() == null ? "/" : r.path());
    CheckResponse unauthenticated = CheckResponse.newBuilder()
        .setStatus(Status.newBuilder().setCode(forbidden ? Code.PERMISSION_DENIED_VALUE : Code.UNAUTHENTICATED_VALUE).setMessage(d.reason()))
        .setDeniedResponse(denied(forbidden ? StatusCode.Forbidden : StatusCode.Unauthorized, d.reason())
            .addHeaders(overwrite("www-authenticate", "Bearer realm=\"" + realm.replace("\"", "%22") + "\", error=\"invalid_token\"")))
        .build();
    return new EncodedCheckResponse.Template(unauthenticated, p.metadata).withDecisionId(decisionId);
  }

  /** Fail closed: a 503 with UNAVAILABLE, distinguishable from a policy denial in Envoy's stats and logs. */
  public EncodedCheckResponse internalError(String decisionId, String reason) {
    return new EncodedCheckResponse.Template(CheckResponse.newBuilder().setStatus(Status.newBuilder().setCode(Code.UNAVAILABLE_VALUE).setMessage(reason))
        .setDeniedResponse(denied(StatusCode.ServiceUnavailable, "ext_authz error")).build(),
        Struct.newBuilder().putFields("result", str("error")).build()).withDecisionId(decisionId);
  }

  private static DeniedHttpResponse.Builder denied(StatusCode code, String body) {
    return DeniedHttpResponse.newBuilder().setStatus(HttpStatus.newBuilder().setCode(code)).setBody(body)
        .addHeaders(overwrite("content-type", "text/plain"));
  }

  private static HeaderValueOption overwrite(String name, String value) {
    return HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD).build();
  }

  private static Struct metadata(Decision d) {
    return Struct.newBuilder()
        .putFields("result", str(d.result().name().toLowerCase(java.util.Locale.ROOT)))
        .putFields("policy_revision", str(d.revision()))
        .putFields("matched_policy", str(d.matchedPolicy()))
        .putFields("matched_rule", Value.newBuilder().setNumberValue(d.matchedRule()).build())
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s == null ? "" : s).build();
  }
}
