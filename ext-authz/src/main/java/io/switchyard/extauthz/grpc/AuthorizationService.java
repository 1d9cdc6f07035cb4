package io.switchyard.extauthz.grpc;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.decision.DecisionEngine;
import io.switchyard.extauthz.log.DecisionLogEntry;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.extauthz.request.RequestAttributes;
import io.switchyard.serverkit.grpc.WireRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.auth.v3.Authorization/Check}. Runs on the transport thread: cached decisions
 * complete synchronously; a miss that needs keys from the network completes when they arrive, bounded
 * by the check deadline. Every failure becomes a fail-closed response, never a gRPC error.
 */
public final class AuthorizationService implements BindableService {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizationService.class);
  /**
   * Envoy's Check as generated, except that requests arrive as their wire bytes, which the mapper reads without
   * building the protobuf message (a compressed one over the size limit is answered RESOURCE_EXHAUSTED, not
   * UNKNOWN), and responses go out as pre-encoded bytes.
   */
  private static final MethodDescriptor<WireRequest, EncodedCheckResponse> CHECK = AuthorizationGrpc.getCheckMethod()
      .toBuilder(WireRequest.MARSHALLER, EncodedCheckResponse.MARSHALLER).build();

  private final CheckRequestMapper mapper;
  private final DecisionEngine engine;
  private final CheckResponses responses;
  private final DecisionLogger log;
  private final ExtAuthzMetrics metrics;
  private final Clock clock;
  private final Duration deadline;
  private final DecisionIds ids = new DecisionIds();

  public AuthorizationService(CheckRequestMapper mapper, DecisionEngine engine, CheckResponses responses, DecisionLogger log,
      ExtAuthzMetrics metrics, Clock clock, Duration deadline) {
    this.mapper = mapper;
    this.engine = engine;
    this.responses = responses;
    this.log = log;
    this.metrics = metrics;
    this.clock = clock;
    this.deadline = deadline;
  }

  @Override
  public ServerServiceDefinition bindService() {
    // The schema descriptor is the generated one, so reflection and health list the same service.
    ServiceDescriptor service = ServiceDescriptor.newBuilder(AuthorizationGrpc.SERVICE_NAME)
        .setSchemaDescriptor(AuthorizationGrpc.getServiceDescriptor().getSchemaDescriptor()).addMethod(CHECK).build();
    return ServerServiceDefinition.builder(service).addMethod(CHECK, ServerCalls.asyncUnaryCall((WireRequest request,
        StreamObserver<EncodedCheckResponse> out) -> {
      if (!request.refuse(out)) {
        check(request.bytes(), out);
      }
    })).build();
  }

  public void check(byte[] request, StreamObserver<EncodedCheckResponse> out) {
    long start = System.nanoTime();
    String id = ids.next();
    RequestAttributes r;
    CompletableFuture<DecisionEngine.Evaluated> f;
    try {
      r = mapper.map(request);
      f = engine.decide(r);
    } catch (InvalidProtocolBufferException e) {
      // Not a CheckRequest at all: the caller's error, not a decision.
      out.onError(Status.INVALID_ARGUMENT.withDescription("malformed CheckRequest: " + e.getMessage()).asRuntimeException());
      return;
    } catch (RuntimeException e) {
      LOG.warn("Check {} failed closed: {}", id, e.toString());
      failClosed(out, id, null, "internal", start);
      return;
    }
    if (f.isDone() && !f.isCompletedExceptionally()) {
      // Cache hits and policy-only misses complete here, on the transport thread, without a callback.
      respond(out, id, r, f.join(), start);
      return;
    }
    f = f.orTimeout(deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    RequestAttributes req = r;
    f.whenComplete((ev, err) -> {
      if (err != null) {
        Throwable cause = err.getCause() != null ? err.getCause() : err;
        boolean timeout = cause instanceof TimeoutException;
        LOG.warn("Check {} failed closed: {}", id, timeout ? "deadline of " + deadline.toMillis() + " ms exceeded" : cause.toString());
        failClosed(out, id, req, timeout ? "deadline" : "internal", start);
        return;
      }
      respond(out, id, req, ev, start);
    });
  }

  /** What this service derives once per decision and keeps on it, so that cache hits reuse it. */
  private record Derived(CheckResponses.Prepared response, CounterDataPoint counter) {}

  private Derived derived(Decision d) {
    if (d.derived() instanceof Derived known) {
      return known;
    }
    String policy = d.matchedPolicy().isEmpty() ? "none" : d.matchedPolicy();
    Derived fresh = new Derived(responses.prepare(d), metrics.decisions.labelValues(d.result().name().toLowerCase(java.util.Locale.ROOT), policy));
    d.derived(fresh);
    return fresh;
  }

  private void respond(StreamObserver<EncodedCheckResponse> out, String id, RequestAttributes req, DecisionEngine.Evaluated ev, long start) {
    Decision d = ev.decision();
    EncodedCheckResponse resp;
    Derived derived;
    try {
      derived = derived(d);
      resp = responses.build(derived.response(), req, id);
    } catch (RuntimeException e) {
      LOG.warn("Check {} failed closed building the response: {}", id, e.toString());
      failClosed(out, id, req, "internal", start);
      return;
    }
    out.onNext(resp);
    out.onCompleted();
    long nanos = System.nanoTime() - start;
    (ev.cacheHit() ? metrics.latencyHit : metrics.latencyMiss).observe(nanos / 1e9);
    derived.counter().inc();
    if (log != null) {
      log.submit(new DecisionLogEntry(id, clock.millis() * 1_000_000L, d, req, ev.cacheHit(), nanos, null));
    }
  }

  private void failClosed(StreamObserver<EncodedCheckResponse> out, String id, RequestAttributes r, String reason, long start) {
    metrics.errors.labelValues(reason).inc();
    metrics.decisions.labelValues("error", "none").inc();
    out.onNext(responses.internalError(id, reason));
    out.onCompleted();
    if (log != null && r != null) {
      log.submit(new DecisionLogEntry(id, clock.millis() * 1_000_000L, null, r, false, System.nanoTime() - start, reason));
    }
  }
}
