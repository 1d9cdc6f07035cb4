package io.switchyard.demo;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Asks Switchyard what the frontend's sidecar would ask: an ext_authz {@code Check} (attributes as Envoy
 * sends them, with the workload in {@code context_extensions} as Switchyard's xDS sets it), then, when
 * allowed, {@code ShouldRateLimit} with the descriptors the demo mesh's rate-limit actions produce.
 */
final class PolicyClient {
  static final String RATE_LIMIT_DOMAIN = "storefront";

  private final AuthorizationGrpc.AuthorizationFutureStub authz;
  private final RateLimitServiceGrpc.RateLimitServiceFutureStub ratelimit;

  PolicyClient(ManagedChannel authzChannel, ManagedChannel ratelimitChannel) {
    this.authz = AuthorizationGrpc.newFutureStub(authzChannel);
    this.ratelimit = RateLimitServiceGrpc.newFutureStub(ratelimitChannel);
  }

  /**
   * Decides one request: {@code outcome} receives the HTTP status Envoy would act on (200 to continue,
   * 401/403 refused by ext_authz, 429 rate limited) or -1 when Switchyard did not answer.
   */
  void decide(String method, String path, String clientIp, String token, IntConsumer outcome) {
    Storefront.Service frontend = Storefront.SERVICES.get("frontend");
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setId(Long.toHexString(System.nanoTime())).setMethod(method).setPath(path).setHost("shop.example.com")
        .setScheme("https").setProtocol("HTTP/1.1")
        .putHeaders(":authority", "shop.example.com").putHeaders(":path", path).putHeaders(":method", method)
        .putHeaders("user-agent", "storefront-demo/1.0").putHeaders("x-forwarded-for", clientIp);
    if (token != null) {
      http.putHeaders("authorization", "Bearer " + token);
    }
    CheckRequest check = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
            .setSource(AttributeContext.Peer.newBuilder().setAddress(address(Storefront.INGRESS.ip(), 43122)).setPrincipal(Storefront.INGRESS_PRINCIPAL))
            .setDestination(AttributeContext.Peer.newBuilder().setAddress(address(frontend.ip(), Storefront.PORT)).setPrincipal(frontend.principal()))
            .setRequest(AttributeContext.Request.newBuilder().setHttp(http))
            .putContextExtensions("namespace", Storefront.NAMESPACE)
            .putContextExtensions("workload", "frontend")
            .putContextExtensions("label.app", "frontend")
            .putContextExtensions("label.version", "v1"))
        .build();
    ListenableFuture<CheckResponse> checked = authz.withDeadlineAfter(2, TimeUnit.SECONDS).check(check);
    Futures.addCallback(checked, new FutureCallback<>() {
      @Override
      public void onSuccess(CheckResponse r) {
        if (r.getStatus().getCode() != 0) {
          int http = r.hasDeniedResponse() && r.getDeniedResponse().getStatus().getCodeValue() > 0
              ? r.getDeniedResponse().getStatus().getCodeValue() : 403;
          outcome.accept(http == 401 ? 401 : 403);
          return;
        }
        rateLimit(path, clientIp, outcome);
      }

      @Override
      public void onFailure(Throwable t) {
        outcome.accept(-1);
      }
    }, MoreExecutors.directExecutor());
  }

  private void rateLimit(String path, String clientIp, IntConsumer outcome) {
    RateLimitRequest req = RateLimitRequest.newBuilder().setDomain(RATE_LIMIT_DOMAIN)
        .addDescriptors(RateLimitDescriptor.newBuilder().addEntries(entry("remote_address", clientIp)))
        .addDescriptors(RateLimitDescriptor.newBuilder().addEntries(entry("path", path)))
        .setHitsAddend(1)
        .build();
    Futures.addCallback(ratelimit.withDeadlineAfter(2, TimeUnit.SECONDS).shouldRateLimit(req), new FutureCallback<>() {
      @Override
      public void onSuccess(RateLimitResponse r) {
        outcome.accept(r.getOverallCode() == RateLimitResponse.Code.OVER_LIMIT ? 429 : 200);
      }

      @Override
      public void onFailure(Throwable t) {
        outcome.accept(-1);
      }
    }, MoreExecutors.directExecutor());
  }

  private static RateLimitDescriptor.Entry entry(String key, String value) {
    return RateLimitDescriptor.Entry.newBuilder().setKey(key).setValue(value).build();
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
  }
}
