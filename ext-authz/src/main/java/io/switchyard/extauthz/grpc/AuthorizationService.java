package io.switchyard.extauthz.grpc;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.switchyard.extauthz.decision.Decision;
import io.switchyard.extauthz.decision.DecisionEngine;
import io.switchyard.extauthz.log.DecisionLogEntry;
import io.switchyard.extauthz.log.DecisionLogger;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.request.CheckRequestMapper;
import io.switchyard.extauthz.request.RequestAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.auth.v3.Authorization/Check}. Runs on the transport thread: cached decisions
 * complete synchronously; a miss that needs keys from the network completes when they arrive, bounded
 * by the check deadline. Every failure becomes a fail-closed response, never a gRPC error.
 */
public final class AuthorizationService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizationService.class);

  private final CheckRequestMapper mapper;
  private final DecisionEngine engine;
  private final CheckResponses responses;
  private final DecisionLogger log;
  private final ExtAuthzMetrics metrics;
  private final Clock clock;
  private final Duration deadline;

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
  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
    long start = System.nanoTime();
    String id = decisionId();
    RequestAttributes r;
    CompletableFuture<DecisionEngine.Evaluated> f;
    try {
      r = mapper.map(request);
      f = engine.decide(r);
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

  private void respond(StreamObserver<CheckResponse> out, String id, RequestAttributes req, DecisionEngine.Evaluated ev, long start) {
    Decision d = ev.decision();
    CheckResponse resp;
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

  private void failClosed(StreamObserver<CheckResponse> out, String id, RequestAttributes r, String reason, long start) {
    metrics.errors.labelValues(reason).inc();
    metrics.decisions.labelValues("error", "none").inc();
    out.onNext(responses.internalError(id, reason));
    out.onCompleted();
    if (log != null && r != null) {
      log.submit(new DecisionLogEntry(id, clock.millis() * 1_000_000L, null, r, false, System.nanoTime() - start, reason));
    }
  }

  /** Random, not cryptographic: decision ids only need to be unique enough to correlate logs. */
  private static String decisionId() {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    return new UUID(rnd.nextLong(), rnd.nextLong()).toString();
  }
}
