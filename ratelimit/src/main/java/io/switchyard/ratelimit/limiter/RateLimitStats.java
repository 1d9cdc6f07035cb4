package io.switchyard.ratelimit.limiter;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.switchyard.serverkit.metrics.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference's stats under the exact names of its documented Prometheus mapping
 * ({@code examples/prom-statsd-exporter/conf.yaml}): {@code ratelimit_service_rate_limit_<stat>{domain,key1[,key2]}},
 * {@code ratelimit_service_config_load_success}, {@code ratelimit_service_should_rate_limit_error{err_type}},
 * {@code ratelimit_service_total_requests{grpc_method}}, and {@code ratelimit_service_global_shadow_mode} as the
 * exporter names that unmapped stat. The Java Prometheus client would append
 * {@code _total} to a counter, so these are exposed as untyped series from {@link LongAdder}s, which keeps
 * the names a reference dashboard queries. {@code key1} is the first level of the stat path, {@code key2}
 * the rest (absent for a one-level path, as the exporter's two-part mapping has no {@code key2}).
 * Distinct label sets are capped, because {@code detailed_metric}, {@code value_to_metric} and Envoy's
 * override limits put request values into stat keys; past the cap, hits are counted under
 * {@code key1="_overflow_"}. Switchyard's own counters keep the usual {@code _total} suffix.
 */
public final class RateLimitStats {
  static final String OVERFLOW = "_overflow_";

  static final String TOTAL_HITS = "ratelimit_service_rate_limit_total_hits";
  static final String OVER_LIMIT = "ratelimit_service_rate_limit_over_limit";
  static final String NEAR_LIMIT = "ratelimit_service_rate_limit_near_limit";
  static final String WITHIN_LIMIT = "ratelimit_service_rate_limit_within_limit";
  static final String SHADOW_MODE = "ratelimit_service_rate_limit_shadow_mode";
  static final String OVER_LIMIT_WITH_LOCAL_CACHE = "ratelimit_service_rate_limit_over_limit_with_local_cache";
  static final String DOMAIN_NOT_FOUND = "ratelimit_service_rate_limit_domain_not_found";
  static final String CONFIG_LOAD_SUCCESS = "ratelimit_service_config_load_success";
  static final String CONFIG_LOAD_ERROR = "ratelimit_service_config_load_error";
  static final String SHOULD_RATE_LIMIT_ERROR = "ratelimit_service_should_rate_limit_error";
  static final String TOTAL_REQUESTS = "ratelimit_service_total_requests";
  static final String GLOBAL_SHADOW_MODE = "ratelimit_service_global_shadow_mode";

  /** Several servers on one registry (tests, restarts) share one set of series, as metrics do. */
  private static final Map<PrometheusRegistry, Families> BY_REGISTRY = new WeakHashMap<>();

  private final Families families;
  private final Counter backendError;
  private final Counter serviceError;
  private final int maxKeys;

  public RateLimitStats(Metrics metrics, int maxKeys) {
    this.maxKeys = maxKeys;
    synchronized (BY_REGISTRY) {
      this.families = BY_REGISTRY.computeIfAbsent(metrics.registry(), r -> {
        Families f = new Families();
        r.register(f);
        return f;
      });
    }
    backendError = metrics.counter("ratelimit_service_call_should_rate_limit_backend_error",
        "Counter store failures by storage, reason and the answer given (allow or deny).",
        "storage", "reason", "decision");
    serviceError = metrics.counter("ratelimit_service_call_should_rate_limit_service_error",
        "Requests refused as invalid (INVALID_ARGUMENT) or failed inside the service.", "reason");
  }

  /** Counters of one stat path, resolved once and reused. */
  static final class RuleStats {
    final Labels labels;
    final LongAdder totalHits = new LongAdder();
    final LongAdder overLimit = new LongAdder();
    final LongAdder nearLimit = new LongAdder();
    final LongAdder withinLimit = new LongAdder();
    final LongAdder shadowMode = new LongAdder();
    final LongAdder overLimitWithLocalCache = new LongAdder();

    RuleStats(Labels labels) {
      this.labels = labels;
    }
  }

  /**
   * The counters of a stat path. Names are sanitized as the reference does before it emits them
   * ({@link #sanitize}); that runs only the first time a path is seen, which is then remembered as an alias
   * of its sanitized name, so paths that sanitize alike share one series.
   */
  RuleStats forKey(String domain, String statsKey) {
    RuleStats r = families.byKey.get(statsKey);
    return r != null ? r : families.create(domain, statsKey, maxKeys);
  }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

  /**
   * The reference's {@code SanitizeStatName} (src/utils/utilities.go): {@code :} and {@code |} become
   * {@code _}, and so do the dots of anything shaped like an IPv4 address, so that an address in a stat path
   * stays one level. Keeps the length, so the domain prefix still ends where it did.
   */
  static String sanitize(String name) {
    String s = name.replace(':', '_').replace('|', '_');
    Matcher m = IPV4.matcher(s);
    if (!m.find()) {
      return s;
    }
    StringBuilder b = new StringBuilder(s);
    do {
      for (int i = m.start(); i < m.end(); i++) {
        if (b.charAt(i) == '.') {
          b.setCharAt(i, '_');
        }
      }
    } while (m.find());
    return b.toString();
  }

  private static Labels labels(String domain, String key1, String key2) {
    return key2.isEmpty() ? Labels.of("domain", domain, "key1", key1)
        : Labels.of("domain", domain, "key1", key1, "key2", key2);
  }

  static String[] labels(String domain, String statsKey) {
    String rest = statsKey.length() > domain.length() ? statsKey.substring(domain.length() + 1) : "";
    int dot = rest.indexOf('.');
    return dot < 0 ? new String[] {domain, rest, ""}
        : new String[] {domain, rest.substring(0, dot), rest.substring(dot + 1)};
  }

  /**
   * Counts {@code domain_not_found} once per descriptor of a request for an unconfigured domain, as the reference
   * does, under {@code SanitizeStatName(domain) + ".domain_not_found"} (src/stats/manager_impl.go NewDomainStats),
   * so the label is the sanitized domain, and domains that sanitize alike share one series. As for stat paths, the
   * sanitizing runs once per domain seen, which is then remembered as an alias.
   */
  void domainNotFound(String domain, int descriptors) {
    LongAdder a = families.notFoundByDomain.get(domain);
    if (a == null) {
      a = families.notFoundCounter(domain, maxKeys);
    }
    a.add(descriptors);
  }

  void globalShadowMode() {
    families.globalShadowMode.increment();
  }

  void backendError(String storage, String reason, String decision) {
    backendError.labelValues(storage, reason, decision).inc();
    if ("redis".equals(storage)) {
      families.redisError.increment();
    }
  }

  public void serviceError(String reason) {
    serviceError.labelValues(reason).inc();
    families.serviceError.increment();
  }

  /**
   * A request refused before it reached the service (a /json body that is not a RateLimitRequest): counted in
   * Switchyard's own counter only, as the reference answers it without its {@code service_error}.
   */
  public void refusedUnread(String reason) {
    serviceError.labelValues(reason).inc();
  }

  public void configLoaded(boolean ok) {
    (ok ? families.configLoadSuccess : families.configLoadError).increment();
  }

  /** One ShouldRateLimit gRPC call received. */
  public void requestReceived() {
    families.totalRequests.increment();
  }

  /** The series of one registry; read at scrape time only. */
  private static final class Families implements MultiCollector {
    /** Stat paths as built per request, each an alias of the series of its sanitized name. */
    final ConcurrentHashMap<String, RuleStats> byKey = new ConcurrentHashMap<>();
    /** One entry per series, by sanitized name; what a scrape reads. */
    final ConcurrentHashMap<String, RuleStats> byName = new ConcurrentHashMap<>();
    /** Domains as requested, each an alias of the series of its sanitized name. */
    final ConcurrentHashMap<String, LongAdder> notFoundByDomain = new ConcurrentHashMap<>();
    /** One entry per series, by sanitized domain; what a scrape reads. */
    final ConcurrentHashMap<String, LongAdder> notFoundByName = new ConcurrentHashMap<>();
    final LongAdder configLoadSuccess = new LongAdder();
    final LongAdder configLoadError = new LongAdder();
    final LongAdder redisError = new LongAdder();
    final LongAdder serviceError = new LongAdder();
    final LongAdder totalRequests = new LongAdder();
    final LongAdder globalShadowMode = new LongAdder();

    LongAdder notFoundCounter(String domain, int maxKeys) {
      String name = sanitize(domain);
      LongAdder a = notFoundByName.get(name);
      if (a == null) {
        a = notFoundByName.computeIfAbsent(notFoundByName.size() >= maxKeys ? OVERFLOW : name, k -> new LongAdder());
      }
      if (notFoundByDomain.size() < maxKeys) {
        notFoundByDomain.putIfAbsent(domain, a);
      }
      return a;
    }

    RuleStats create(String domain, String statsKey, int maxKeys) {
      String name = sanitize(statsKey);
      RuleStats r = byName.get(name);
      if (r == null) {
        String d = sanitize(domain);
        if (byName.size() >= maxKeys) {
          return byName.computeIfAbsent(d + "." + OVERFLOW, k -> new RuleStats(labels(d, OVERFLOW, "")));
        }
        r = byName.computeIfAbsent(name, k -> {
          String[] l = labels(d, k);
          return new RuleStats(labels(l[0], l[1], l[2]));
        });
      }
      if (byKey.size() < maxKeys) {
        byKey.putIfAbsent(statsKey, r);
      }
      return r;
    }

    @Override
    public MetricSnapshots collect() {
      List<RuleStats> rules = new ArrayList<>(byName.values());
      List<MetricSnapshot> out = new ArrayList<>(11);
      out.add(rule(TOTAL_HITS, "Hits seen by a rate limit rule.", rules, r -> r.totalHits));
      out.add(rule(OVER_LIMIT, "Hits over the rule's limit.", rules, r -> r.overLimit));
      out.add(rule(NEAR_LIMIT, "Hits above the near-limit ratio of the rule's limit.", rules, r -> r.nearLimit));
      out.add(rule(WITHIN_LIMIT, "Hits within the rule's limit.", rules, r -> r.withinLimit));
      out.add(rule(SHADOW_MODE, "Over-limit hits let through because the rule is in shadow mode.", rules,
          r -> r.shadowMode));
      out.add(rule(OVER_LIMIT_WITH_LOCAL_CACHE,
          "Over-limit hits answered from the local over-limit cache without touching the store.", rules,
          r -> r.overLimitWithLocalCache));
      UnknownSnapshot.Builder notFound = UnknownSnapshot.builder().name(DOMAIN_NOT_FOUND)
          .help("Descriptors of requests for a domain that is not configured.");
      notFoundByName.forEach((d, a) -> notFound.dataPoint(point(Labels.of("domain", d), a)));
      out.add(notFound.build());
      out.add(single(CONFIG_LOAD_SUCCESS, "Successful config loads.", Labels.EMPTY, configLoadSuccess));
      out.add(single(CONFIG_LOAD_ERROR, "Rejected config loads.", Labels.EMPTY, configLoadError));
      out.add(UnknownSnapshot.builder().name(SHOULD_RATE_LIMIT_ERROR)
          .help("ShouldRateLimit calls that failed: redis_error (Redis store) or service_error (bad request, internal).")
          .dataPoint(point(Labels.of("err_type", "redis_error"), redisError))
          .dataPoint(point(Labels.of("err_type", "service_error"), serviceError))
          .build());
      out.add(single(TOTAL_REQUESTS, "ShouldRateLimit gRPC calls received (not /json, as in the reference).",
          Labels.of("grpc_method", "ShouldRateLimit"), totalRequests));
      // The reference's ratelimit.service.global_shadow_mode has no mapping, so the exporter names it by escaping.
      out.add(single(GLOBAL_SHADOW_MODE, "Requests answered OK only because global shadow mode is on.",
          Labels.EMPTY, globalShadowMode));
      return new MetricSnapshots(out);
    }

    @Override
    public List<String> getPrometheusNames() {
      return List.of(TOTAL_HITS, OVER_LIMIT, NEAR_LIMIT, WITHIN_LIMIT, SHADOW_MODE, OVER_LIMIT_WITH_LOCAL_CACHE,
          DOMAIN_NOT_FOUND, CONFIG_LOAD_SUCCESS, CONFIG_LOAD_ERROR, SHOULD_RATE_LIMIT_ERROR, TOTAL_REQUESTS,
          GLOBAL_SHADOW_MODE);
    }

    private static UnknownSnapshot rule(String name, String help, List<RuleStats> rules,
        Function<RuleStats, LongAdder> field) {
      UnknownSnapshot.Builder b = UnknownSnapshot.builder().name(name).help(help);
      for (RuleStats r : rules) {
        b.dataPoint(point(r.labels, field.apply(r)));
      }
      return b.build();
    }

    private static UnknownSnapshot single(String name, String help, Labels labels, LongAdder a) {
      return new UnknownSnapshot(new MetricMetadata(name, help), List.of(point(labels, a)));
    }

    private static UnknownSnapshot.UnknownDataPointSnapshot point(Labels labels, LongAdder a) {
      return UnknownSnapshot.UnknownDataPointSnapshot.builder().labels(labels).value(a.sum()).build();
    }
  }
}
