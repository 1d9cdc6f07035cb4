package io.switchyard.ratelimit.limiter;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.switchyard.ratelimit.config.Algorithm;
import io.switchyard.ratelimit.config.DescriptorMatch;
import io.switchyard.ratelimit.config.DescriptorNode;
import io.switchyard.ratelimit.config.DomainConfig;
import io.switchyard.ratelimit.config.Limit;
import io.switchyard.ratelimit.config.RateLimitConfig;
import io.switchyard.ratelimit.config.RateLimitUnit;
import io.switchyard.ratelimit.storage.CounterStore;
import io.switchyard.ratelimit.storage.CounterStoreException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The ShouldRateLimit decision: match each descriptor (research note, section 3), count its limits in
 * the store, and build the response Envoy expects. Thread-safe; reads the current config once per
 * request so a reload never mixes two configs in one answer.
 */
public final class RateLimiter {
  /** {@code limit_remaining} of an unlimited descriptor, as the reference sends it (uint32 max). */
  static final int UNLIMITED_REMAINING = -1;

  private static final RateLimitResponse.DescriptorStatus NO_LIMIT =
      RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK).build();
  private static final RateLimitResponse.DescriptorStatus UNLIMITED =
      RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK)
          .setLimitRemaining(UNLIMITED_REMAINING).build();

  private final Supplier<RateLimitConfig> config;
  private final CounterStore store;
  private final Clock clock;
  private final LimiterOptions options;
  private final RateLimitStats stats;
  private final OverLimitCache overLimitCache;
  /** NEAR_LIMIT_RATIO as the reference holds it: a float32 (src/settings/settings.go). */
  private final float nearLimitRatio;
  private final String limitHeader;
  private final String remainingHeader;
  private final String resetHeader;

  public RateLimiter(Supplier<RateLimitConfig> config, CounterStore store, Clock clock, LimiterOptions options,
      RateLimitStats stats) {
    this.config = config;
    this.store = store;
    this.clock = clock;
    this.options = options;
    this.stats = stats;
    this.overLimitCache = options.localCache() ? new OverLimitCache(clock, 1_000_000) : null;
    this.nearLimitRatio = (float) options.nearLimitRatio();
    this.limitHeader = options.limitHeaderName();
    this.remainingHeader = options.remainingHeaderName();
    this.resetHeader = options.resetHeaderName();
  }

  /**
   * The reference's near-limit threshold, in its float32 arithmetic (src/limiter/base_limiter.go
   * GetResponseDescriptorStatus: {@code uint64(math.Floor(float64(float32(limit) * this.nearLimitRatio)))}); float64
   * arithmetic gives another threshold for some limits (90 at ratio 0.7: 62 instead of 63; most above 2^24).
   */
  static long nearLimitThreshold(long limit, float ratio) {
    return (long) Math.floor((float) limit * ratio);
  }

  public LimiterOptions options() {
    return options;
  }

  /** One limit of one descriptor being checked. */
  static final class Check {
    final int descriptor;
    final Limit limit;
    final long hits;
    final RateLimitStats.RuleStats ruleStats;
    String key;
    String previousKey;
    long windowStartMillis;
    long expireAtMillis;
    // results
    boolean over;
    long remaining;
    long resetSeconds;
    boolean fromLocalCache;
    boolean backendFailed;
    long countAfter;
    double estimateAfter;
    /** The hits past the limit, as the over_limit and shadow_mode stats count them. */
    long overHits;

    Check(int descriptor, Limit limit, long hits, RateLimitStats.RuleStats ruleStats) {
      this.descriptor = descriptor;
      this.limit = limit;
      this.hits = hits;
      this.ruleStats = ruleStats;
    }
  }

  /**
   * What a descriptor resolved to. {@code match} is null for an override limit; the counter key is built
   * from it and the request's entries only once a limit is to be counted.
   */
  private record Resolved(List<Limit> limits, DescriptorNode rule, String statsKey, DescriptorMatch match,
      RateLimitDescriptor descriptor, long hits) {}

  /** Response durations of up to an hour (every window of a second, minute or hour), built once. */
  private static final Duration[] RESET_DURATIONS = new Duration[3601];

  static {
    for (int i = 0; i < RESET_DURATIONS.length; i++) {
      RESET_DURATIONS[i] = Duration.newBuilder().setSeconds(i).build();
    }
  }

  private static Duration resetDuration(long seconds) {
    return seconds >= 0 && seconds < RESET_DURATIONS.length ? RESET_DURATIONS[(int) seconds]
        : Duration.newBuilder().setSeconds(seconds).build();
  }

  public RateLimitResponse shouldRateLimit(RateLimitRequest request) throws InvalidRequestException {
    if (request.getDomain().isEmpty()) {
      throw new InvalidRequestException("domain: must not be empty");
    }
    int n = request.getDescriptorsCount();
    if (n == 0) {
      throw new InvalidRequestException("descriptors: must not be empty");
    }
    RateLimitConfig cfg = config.get();
    DomainConfig domain = cfg.domain(request.getDomain());
    RateLimitResponse.Builder response = RateLimitResponse.newBuilder();
    if (domain == null) {
      validateOverrides(request);
      // As the reference, whose GetLimit counts it once per descriptor.
      stats.domainNotFound(request.getDomain(), n);
      for (int i = 0; i < n; i++) {
        response.addStatuses(NO_LIMIT);
      }
      if (options.responseDynamicMetadata()) {
        response.setDynamicMetadata(ResponseMetadata.of(request, null));
      }
      return response.setOverallCode(RateLimitResponse.Code.OK).build();
    }

    long requestHits = Math.max(1L, Integer.toUnsignedLong(request.getHitsAddend()));
    Resolved[] resolved = new Resolved[n];
    Set<String> replaced = null;
    for (int i = 0; i < n; i++) {
      RateLimitDescriptor d = request.getDescriptors(i);
      long hits = d.hasHitsAddend() ? d.getHitsAddend().getValue() : requestHits;
      if (hits < 0) {
        throw new InvalidRequestException("descriptors[" + i + "].hits_addend: too large");
      }
      if (d.hasLimit()) {
        RateLimitUnit unit = RateLimitUnit.fromOverride(d.getLimit().getUnit());
        if (unit == null) {
          throw new InvalidRequestException("descriptors[" + i + "].limit.unit: must be SECOND..YEAR, was "
              + d.getLimit().getUnit());
        }
        resolved[i] = new Resolved(List.of(Limit.override(Integer.toUnsignedLong(d.getLimit().getRequestsPerUnit()),
            unit)), null, DescriptorMatch.overrideStatsKey(domain.domain(), d), null, d, hits);
        continue;
      }
      DescriptorMatch m = domain.match(d);
      if (m == null) {
        continue;
      }
      resolved[i] = new Resolved(m.rule().limits(), m.rule(), m.statsKey(d), m, d, hits);
      List<Limit> limits = m.rule().limits();
      for (int li = 0; li < limits.size(); li++) {
        Limit l = limits.get(li);
        if (!l.replaces().isEmpty()) {
          if (replaced == null) {
            replaced = new HashSet<>();
          }
          replaced.addAll(l.replaces());
        }
      }
    }

    long now = clock.millis();
    List<Check> checks = new ArrayList<>(n);
    boolean[] unlimited = new boolean[n];
    for (int i = 0; i < n; i++) {
      Resolved r = resolved[i];
      if (r == null) {
        continue;
      }
      RateLimitStats.RuleStats rs = null;
      StringBuilder key = null;
      int baseLength = 0;
      for (int li = 0; li < r.limits.size(); li++) {
        Limit l = r.limits.get(li);
        if (l.unlimited()) {
          // As the reference: unlimited even when a replaces drops it (it is never counted either way).
          unlimited[i] = true;
          continue;
        }
        if (replaced != null && l.named() && replaced.contains(l.name())) {
          continue;
        }
        if (rs == null) {
          rs = stats.forKey(domain.domain(), r.statsKey);
        }
        if (key == null) {
          key = counterKeyBase(r, domain.domain());
          baseLength = key.length();
        }
        Check c = new Check(i, l, r.hits, rs);
        prepareKeys(c, key, baseLength, now);
        checks.add(c);
      }
    }

    if (!checks.isEmpty()) {
      evaluate(checks, now);
    }
    return respond(request, response, resolved, unlimited, checks, n);
  }

  private static void validateOverrides(RateLimitRequest request) throws InvalidRequestException {
    for (int i = 0; i < request.getDescriptorsCount(); i++) {
      RateLimitDescriptor d = request.getDescriptors(i);
      if (d.hasLimit() && RateLimitUnit.fromOverride(d.getLimit().getUnit()) == null) {
        throw new InvalidRequestException("descriptors[" + i + "].limit.unit: must be SECOND..YEAR, was "
            + d.getLimit().getUnit());
      }
    }
  }

  /** {@code CACHE_KEY_PREFIX} and the reference's key base in one builder sized for the whole key. */
  private StringBuilder counterKeyBase(Resolved r, String domain) {
    String prefix = options.cacheKeyPrefix();
    // room for "#<index>_" and the window's epoch seconds (or "tb")
    StringBuilder b = new StringBuilder(prefix.length() + DescriptorMatch.counterKeyBaseCapacity(domain, r.descriptor) + 32)
        .append(prefix);
    return r.match == null ? DescriptorMatch.appendCounterKeyBase(b, domain, r.descriptor)
        : r.match.appendCounterKeyBase(b, r.descriptor);
  }

  /** Completes {@code key} (holding the descriptor's base up to {@code baseLength}) for one limit. */
  private static void prepareKeys(Check c, StringBuilder key, int baseLength, long now) {
    Limit l = c.limit;
    long unitMillis = l.unit().seconds() * 1000;
    key.setLength(baseLength);
    if (l.index() != 0) {
      key.append('#').append(l.index()).append('_');
    }
    int limitBaseLength = key.length();
    if (l.algorithm() == Algorithm.TOKEN_BUCKET) {
      c.key = key.append("tb").toString();
      return;
    }
    long windowStart = Math.floorDiv(now, unitMillis) * unitMillis;
    c.windowStartMillis = windowStart;
    c.key = key.append(windowStart / 1000).toString();
    if (l.algorithm() == Algorithm.SLIDING_WINDOW) {
      key.setLength(limitBaseLength);
      c.previousKey = key.append((windowStart - unitMillis) / 1000).toString();
      // The current window is still read as "previous" during the whole next window.
      c.expireAtMillis = windowStart + 2 * unitMillis;
    } else {
      c.expireAtMillis = windowStart + unitMillis;
    }
  }

  private void evaluate(List<Check> checks, long now) {
    List<Check> windows = new ArrayList<>(checks.size());
    List<Check> buckets = List.of();
    boolean anyFromCache = false;
    for (int i = 0; i < checks.size(); i++) {
      Check c = checks.get(i);
      if (c.limit.algorithm() == Algorithm.TOKEN_BUCKET) {
        if (buckets.isEmpty()) {
          buckets = new ArrayList<>(2);
        }
        buckets.add(c);
      } else if (overLimitCache != null && overLimitCache.isOver(c.key, c.limit.requestsPerUnit())) {
        c.fromLocalCache = true;
        c.over = true;
        c.remaining = 0;
        c.resetSeconds = resetSeconds(c, now);
        anyFromCache = true;
      } else {
        windows.add(c);
      }
    }
    try {
      if (options.countRejectedHits()) {
        countWindows(windows, now, false);
        takeTokens(buckets, now, false);
      } else if (anyFromCache) {
        // STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT as the reference (src/redis/fixed_cache_impl.go getHitsAddend): a key
        // over in the local cache charges nothing anywhere, and every other status is read from the count as it is.
        countWindows(windows, now, NO_HITS);
        takeTokens(buckets, now, true);
      } else {
        // Otherwise the counts are read first; when a hit would take some key over, only those keys are charged (so
        // they stay over, as the reference's INCRBY leaves them) and the others are read as they are.
        boolean anyExceeds = countWindows(windows, now, true);
        boolean bucketRejected = anyExceeds ? takeTokens(buckets, now, true) : takeTokens(buckets, now, false);
        if (!windows.isEmpty()) {
          boolean[] charge = new boolean[windows.size()];
          for (int i = 0; i < charge.length; i++) {
            charge[i] = !(anyExceeds || bucketRejected) || windows.get(i).over;
          }
          countWindows(windows, now, charge);
        }
      }
    } catch (CounterStoreException e) {
      boolean deny = options.onBackendError() == LimiterOptions.BackendErrorPolicy.DENY;
      stats.backendError(store.name(), e.reason(), deny ? "deny" : "allow");
      for (Check c : checks) {
        if (!c.fromLocalCache) {
          c.backendFailed = true;
          c.over = deny;
          c.remaining = 0;
          c.resetSeconds = resetSeconds(c, now);
        }
      }
    }
    for (Check c : checks) {
      record(c);
    }
  }

  private static final boolean[] NO_HITS = new boolean[0];

  /**
   * Returns whether any window is over; {@code peekOnly} reads without counting and reports whether the hits would
   * take each window over.
   */
  private boolean countWindows(List<Check> windows, long now, boolean peekOnly) throws CounterStoreException {
    return countWindows(windows, now, peekOnly, null);
  }

  /**
   * Charges the windows whose {@code charge} entry is true ({@link #NO_HITS}: none) and reports each from its
   * count after that, charged or not; the reference's stats still see the request's hits for every one.
   */
  private boolean countWindows(List<Check> windows, long now, boolean[] charge) throws CounterStoreException {
    return countWindows(windows, now, false, charge);
  }

  private boolean countWindows(List<Check> windows, long now, boolean peekOnly, boolean[] charge)
      throws CounterStoreException {
    if (windows.isEmpty()) {
      return false;
    }
    int sliding = 0;
    for (Check c : windows) {
      if (c.previousKey != null) {
        sliding++;
      }
    }
    int size = windows.size() + sliding;
    String[] keys = new String[size];
    long[] hits = new long[size];
    long[] expire = new long[size];
    int j = windows.size();
    for (int i = 0; i < windows.size(); i++) {
      Check c = windows.get(i);
      keys[i] = c.key;
      hits[i] = peekOnly || (charge != null && (i >= charge.length || !charge[i])) ? 0 : c.hits;
      expire[i] = c.expireAtMillis;
      if (c.previousKey != null) {
        keys[j] = c.previousKey;
        expire[j] = c.windowStartMillis + c.limit.unit().seconds() * 1000;
        j++;
      }
    }
    long[] values = store.addAndGet(keys, hits, expire);
    boolean anyOver = false;
    j = windows.size();
    for (int i = 0; i < windows.size(); i++) {
      Check c = windows.get(i);
      long limit = c.limit.requestsPerUnit();
      long after = peekOnly ? values[i] + c.hits : values[i];
      double estimate = after;
      if (c.previousKey != null) {
        long unitMillis = c.limit.unit().seconds() * 1000;
        double weight = (double) (unitMillis - (now - c.windowStartMillis)) / unitMillis;
        estimate = values[j++] * weight + after;
      }
      c.countAfter = after;
      c.estimateAfter = estimate;
      c.over = estimate > limit;
      c.remaining = c.over ? 0 : (long) Math.floor(limit - estimate);
      c.resetSeconds = resetSeconds(c, now);
      if (peekOnly && c.over) {
        // Nothing was added: report what the count is, not what it would have become.
        c.countAfter = values[i];
      }
      if (c.over && !peekOnly && overLimitCache != null) {
        long until = c.previousKey == null ? c.expireAtMillis : slidingOverUntil(c, values[j - 1], after);
        if (until > now) {
          overLimitCache.markOver(c.key, limit, until);
        }
      }
      anyOver |= c.over;
    }
    return anyOver;
  }

  /**
   * The first millisecond at which a sliding window over its limit could admit a check-only hit again:
   * the current count only grows inside its window, so the estimate {@code previous * weight + current}
   * can only fall as the previous window's weight shrinks. Over by the current window alone means over
   * until the window ends. One millisecond earlier than exact, so rounding never keeps a key too long.
   */
  static long slidingOverUntil(Check c, long previous, long current) {
    long unitMillis = c.limit.unit().seconds() * 1000;
    long windowEnd = c.windowStartMillis + unitMillis;
    long limit = c.limit.requestsPerUnit();
    if (current > limit || previous <= 0) {
      return windowEnd;
    }
    // previous * (unitMillis - m) / unitMillis + current <= limit  <=>  m >= unitMillis - (limit - current) * unitMillis / previous
    double slack = (double) (limit - current) * unitMillis / previous;
    long admitAt = c.windowStartMillis + unitMillis - (long) Math.floor(slack) - 1;
    return Math.min(windowEnd, admitAt);
  }

  /** Returns whether any bucket rejected; {@code peekOnly} takes nothing. */
  private boolean takeTokens(List<Check> buckets, long now, boolean peekOnly) throws CounterStoreException {
    if (buckets.isEmpty()) {
      return false;
    }
    int size = buckets.size();
    String[] keys = new String[size];
    long[] hits = new long[size];
    long[] limits = new long[size];
    long[] periods = new long[size];
    for (int i = 0; i < size; i++) {
      Check c = buckets.get(i);
      keys[i] = c.key;
      hits[i] = peekOnly ? 0 : c.hits;
      limits[i] = c.limit.requestsPerUnit();
      periods[i] = c.limit.unit().seconds() * 1_000_000L;
    }
    long nowMicros = now * 1000;
    long[] out = store.takeTokens(keys, hits, limits, periods, nowMicros);
    boolean anyRejected = false;
    for (int i = 0; i < size; i++) {
      Check c = buckets.get(i);
      long limit = limits[i];
      long period = periods[i];
      long interval = limit > 0 ? Math.max(1, period / limit) : period;
      if (out[i] >= 0) {
        long tat = out[i];
        // A peek took no tokens: the request would need hits more of them.
        long needed = peekOnly ? tat + c.hits * interval : tat;
        c.over = needed - nowMicros > period;
        long free = period - (needed - nowMicros);
        c.remaining = c.over || limit == 0 ? 0 : Math.min(limit, free / interval);
        c.resetSeconds = Math.max(1, ceilDiv(Math.max(0, needed - nowMicros), 1_000_000L));
      } else {
        long tat = -out[i] - 1;
        c.over = true;
        c.remaining = 0;
        long wait = tat + c.hits * interval - period - nowMicros;
        c.resetSeconds = Math.max(1, ceilDiv(Math.max(0, wait), 1_000_000L));
      }
      anyRejected |= c.over;
    }
    return anyRejected;
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  private static long resetSeconds(Check c, long nowMillis) {
    long unit = c.limit.unit().seconds();
    long nowSeconds = nowMillis / 1000;
    return unit - nowSeconds % unit;
  }

  /** The reference's near/over accounting. */
  private void record(Check c) {
    RateLimitStats.RuleStats s = c.ruleStats;
    long hits = c.hits;
    s.totalHits.add(hits);
    c.overHits = c.over ? hits : 0;
    if (c.fromLocalCache) {
      s.overLimit.add(hits);
      s.overLimitWithLocalCache.add(hits);
      return;
    }
    if (c.backendFailed) {
      return;
    }
    long limit = c.limit.requestsPerUnit();
    long nearThreshold = nearLimitThreshold(limit, nearLimitRatio);
    long after = (long) Math.ceil(c.estimateAfter);
    long before = after - hits;
    if (c.limit.algorithm() == Algorithm.TOKEN_BUCKET) {
      if (c.over) {
        s.overLimit.add(hits);
      } else {
        s.withinLimit.add(hits);
        if (c.remaining < limit - nearThreshold) {
          s.nearLimit.add(hits);
        }
      }
      return;
    }
    if (c.over) {
      if (before >= limit) {
        s.overLimit.add(hits);
      } else {
        c.overHits = after - limit;
        s.overLimit.add(after - limit);
        s.nearLimit.add(Math.max(0, limit - Math.max(nearThreshold, before)));
      }
    } else {
      s.withinLimit.add(hits);
      if (after > nearThreshold) {
        s.nearLimit.add(before >= nearThreshold ? hits : after - nearThreshold);
      }
    }
  }

  private RateLimitResponse respond(RateLimitRequest request, RateLimitResponse.Builder response, Resolved[] resolved,
      boolean[] unlimited, List<Check> checks, int n) {
    Check[] chosen = new Check[n];
    boolean[] over = new boolean[n];
    for (Check c : checks) {
      int i = c.descriptor;
      over[i] |= c.over;
      Check prev = chosen[i];
      if (prev == null || (c.over && !prev.over) || (c.over == prev.over && c.remaining < prev.remaining)) {
        chosen[i] = c;
      }
    }
    boolean overall = false;
    int quotaDescriptors = 0;
    int quotaOver = 0;
    Check header = null;
    long headerRemaining = Limit.MAX_REQUESTS_PER_UNIT;
    Struct.Builder passedMetadata = null;
    for (int i = 0; i < n; i++) {
      Resolved r = resolved[i];
      Check c = chosen[i];
      if (c == null) {
        response.addStatuses(unlimited[i] ? UNLIMITED : NO_LIMIT);
        // As the reference: with global quota mode a descriptor without a limit (not unlimited) is a quota
        // descriptor that passed, so the request is not over on quota alone.
        if (!unlimited[i] && options.globalQuotaMode()) {
          quotaDescriptors++;
        }
        continue;
      }
      boolean shadow = r.rule != null && r.rule.shadowMode();
      boolean quota = options.globalQuotaMode() || (r.rule != null && r.rule.quotaMode());
      RateLimitResponse.Code code = over[i] && !shadow ? RateLimitResponse.Code.OVER_LIMIT : RateLimitResponse.Code.OK;
      if (over[i] && shadow) {
        c.ruleStats.shadowMode.add(c.overHits);
      }
      if (quota) {
        quotaDescriptors++;
        if (code == RateLimitResponse.Code.OVER_LIMIT) {
          quotaOver++;
        }
      } else if (code == RateLimitResponse.Code.OVER_LIMIT) {
        overall = true;
      }
      // As the reference: the metadata of limits that were not over (a shadowed one passes), the first value of a key kept.
      if (code == RateLimitResponse.Code.OK && !unlimited[i] && r.rule != null && r.rule.metadata() != null
          && options.responseDynamicMetadata()) {
        if (passedMetadata == null) {
          passedMetadata = Struct.newBuilder();
        }
        ResponseMetadata.mergeKeepingFirst(passedMetadata, r.rule.metadata());
      }
      response.addStatuses(RateLimitResponse.DescriptorStatus.newBuilder()
          .setCode(code)
          .setCurrentLimit(c.limit.proto())
          .setLimitRemaining((int) Math.min(c.remaining, Limit.MAX_REQUESTS_PER_UNIT))
          .setDurationUntilReset(resetDuration(c.resetSeconds)));
      // The reference's choice: the fewest remaining (first on a tie), but an enforced over-limit descriptor
      // (not shadowed, not quota) always takes the headers, the last such one winning.
      if (c.remaining < headerRemaining) {
        header = c;
        headerRemaining = c.remaining;
      }
      if (code == RateLimitResponse.Code.OVER_LIMIT && !quota) {
        header = c;
        headerRemaining = 0;
      }
    }
    if (quotaDescriptors > 0 && quotaOver == quotaDescriptors) {
      overall = true;
    }
    if (overall && options.globalShadowMode()) {
      stats.globalShadowMode();
      overall = false;
    }
    response.setOverallCode(overall ? RateLimitResponse.Code.OVER_LIMIT : RateLimitResponse.Code.OK);
    if (options.responseDynamicMetadata()) {
      response.setDynamicMetadata(ResponseMetadata.of(request, passedMetadata));
    }
    if (header != null && options.headers() != LimiterOptions.HeaderStyle.NONE) {
      addHeaders(response, header, chosen);
    }
    return response.build();
  }

  private void addHeaders(RateLimitResponse.Builder response, Check header, Check[] chosen) {
    StringBuilder limit = new StringBuilder().append(header.limit.requestsPerUnit());
    if (options.headersForAllDescriptors()) {
      for (Check c : chosen) {
        if (c != null) {
          limit.append(c.limit.quotaPolicy());
        }
      }
    } else if (options.headers() == LimiterOptions.HeaderStyle.X_RATELIMIT) {
      // Envoy's own X-RateLimit-* (DRAFT_VERSION_03) names the policy; the reference's RateLimit-Limit is the number alone.
      limit.append(header.limit.quotaPolicy());
    }
    response.addResponseHeadersToAdd(HeaderValue.newBuilder().setKey(limitHeader).setValue(limit.toString()));
    response.addResponseHeadersToAdd(HeaderValue.newBuilder().setKey(remainingHeader)
        .setValue(Long.toString(header.remaining)));
    response.addResponseHeadersToAdd(HeaderValue.newBuilder().setKey(resetHeader)
        .setValue(Long.toString(header.resetSeconds)));
  }
}
