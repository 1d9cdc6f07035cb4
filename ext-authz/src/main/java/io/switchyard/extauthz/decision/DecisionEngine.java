package io.switchyard.extauthz.decision;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.switchyard.extauthz.authn.Authenticator;
import io.switchyard.extauthz.authn.AuthnResult;
import io.switchyard.extauthz.config.PolicySet;
import io.switchyard.extauthz.config.WorkloadPolicies;
import io.switchyard.extauthz.metrics.ExtAuthzMetrics;
import io.switchyard.extauthz.policy.AuthzEvaluator;
import io.switchyard.extauthz.policy.AuthzInput;
import io.switchyard.extauthz.policy.AuthzOutcome;
import io.switchyard.extauthz.request.RequestAttributes;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Authentication then authorization for one request, behind the decision cache. The policy set is
 * swapped atomically on reload; its revision is part of every key, so no decision outlives the
 * policies it was made under.
 */
public final class DecisionEngine {
  /** A decision and whether it came from the cache. */
  public record Evaluated(Decision decision, boolean cacheHit) {}

  private final Authenticator authenticator;
  private final Clock clock;
  private final CacheSettings settings;
  private final ExtAuthzMetrics metrics;
  private final AsyncCache<DecisionKey, Decision> cache;
  private volatile PolicySet policies;

  public DecisionEngine(PolicySet initial, Authenticator authenticator, Clock clock, CacheSettings settings, ExtAuthzMetrics metrics) {
    this.policies = initial;
    this.authenticator = authenticator;
    this.clock = clock;
    this.settings = settings;
    this.metrics = metrics;
    // Maintenance (draining the read buffers, evicting) runs on the calling thread, amortised over calls:
    // handing it to the common pool woke a pool thread every few dozen hits, which cost more than the work.
    this.cache = settings.maxEntries() <= 0 ? null : Caffeine.newBuilder().maximumSize(settings.maxEntries()).executor(Runnable::run)
        .expireAfter(new Expiry<DecisionKey, Decision>() {
          @Override
          public long expireAfterCreate(DecisionKey key, Decision d, long currentTime) {
            long ttl = settings.ttl().toMillis();
            if (d.expiresAtMillis() != Long.MAX_VALUE) {
              ttl = Math.min(ttl, d.expiresAtMillis() - clock.millis());
            }
            return TimeUnit.MILLISECONDS.toNanos(Math.max(0, ttl));
          }

          @Override
          public long expireAfterUpdate(DecisionKey key, Decision d, long currentTime, long currentDuration) {
            return expireAfterCreate(key, d, currentTime);
          }

          @Override
          public long expireAfterRead(DecisionKey key, Decision d, long currentTime, long currentDuration) {
            return currentDuration;
          }
        }).buildAsync();
  }

  public PolicySet policies() {
    return policies;
  }

  /** Switches to a new policy revision; entries of the old one can no longer be hit and are dropped. */
  public void swap(PolicySet next) {
    policies = next;
    if (cache != null) {
      cache.synchronous().invalidateAll();
    }
  }

  public long cachedDecisions() {
    return cache == null ? 0 : cache.synchronous().estimatedSize();
  }

  public CompletableFuture<Evaluated> decide(RequestAttributes r) {
    PolicySet set = policies;
    if (r.http() && r.pathError() != null) {
      return CompletableFuture.completedFuture(new Evaluated(new Decision(Decision.Result.DENY, 400, AuthnResult.ANONYMOUS, null,
          "bad request: " + r.pathError(), set.revision(), Long.MAX_VALUE, false), false));
    }
    WorkloadPolicies wp = set.forWorkload(r.workload());
    List<Authenticator.FoundToken> tokens = Authenticator.findTokens(r, wp.tokenLocations());
    if (cache == null) {
      metrics.cacheMiss.inc();
      return compute(set, wp, r, tokens).thenApply(d -> new Evaluated(d, false));
    }
    DecisionKey key = DecisionKeys.key(set.revision(), r, wp, tokens);
    CompletableFuture<Decision> present = cache.getIfPresent(key);
    if (present != null && present.isDone() && !present.isCompletedExceptionally()) {
      Decision d = present.join();
      if (d.expiresAtMillis() > clock.millis()) {
        metrics.cacheHit.inc();
        return CompletableFuture.completedFuture(new Evaluated(d, true));
      }
      cache.asMap().remove(key, present);
    }
    metrics.cacheMiss.inc();
    boolean[] loaded = {false};
    CompletableFuture<Decision> f = cache.get(key, (k, executor) -> {
      loaded[0] = true;
      return compute(set, wp, r, tokens);
    });
    return f.thenApply(d -> {
      if (!d.cacheable()) {
        cache.asMap().remove(key, f);
      }
      return new Evaluated(d, !loaded[0]);
    });
  }

  private CompletableFuture<Decision> compute(PolicySet set, WorkloadPolicies wp, RequestAttributes r, List<Authenticator.FoundToken> tokens) {
    return authenticator.authenticate(r, wp.jwtRules(), tokens).thenApply(authn -> {
      if (!authn.authenticated()) {
        int status = Authenticator.AUDIENCE_NOT_ALLOWED.equals(authn.failure()) ? 403 : 401; // as Envoy's jwt_authn answers
        return new Decision(Decision.Result.UNAUTHENTICATED, status, authn, null, authn.failure(), set.revision(), authn.expiresAtMillis(),
            authn.cacheable());
      }
      AuthzOutcome o = AuthzEvaluator.evaluate(wp.authorizationPolicies(), new AuthzInput(r, authn.identity()));
      return new Decision(o.allowed() ? Decision.Result.ALLOW : Decision.Result.DENY, o.allowed() ? 200 : 403, authn, o, o.reason(),
          set.revision(), authn.expiresAtMillis(), true);
    });
  }
}
