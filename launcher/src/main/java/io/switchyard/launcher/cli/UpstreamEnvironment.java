package io.switchyard.launcher.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * envoyproxy/ratelimit's settings ({@code src/settings/settings.go}) are environment variables; Switchyard's are flags.
 * A deployment moved over keeps its {@code env:} block, which would otherwise be ignored without a word (a
 * {@code SHADOW_MODE=true} that no longer shadows, a {@code REDIS_TYPE=SENTINEL} that is not honoured), so each one set
 * is named with the flag that does the same, or as having no counterpart. Names too generic to be the reference's for
 * sure ({@code HOST}, {@code PORT}, {@code LOG_LEVEL}, {@code LOG_FORMAT}, {@code PROTO}) are left out.
 */
final class UpstreamEnvironment {
  private static final String NONE = "no counterpart";
  /** Exact names. */
  private static final Map<String, String> SETTINGS = new TreeMap<>();
  /** Families, by prefix. */
  private static final Map<String, String> PREFIXES = new TreeMap<>();

  static {
    flag("GRPC_HOST", "--host");
    flag("GRPC_PORT", "--port");
    flag("DEBUG_HOST", "--admin-host (/rlconfig is on the admin port)");
    flag("DEBUG_PORT", "--admin-port (/rlconfig is on the admin port)");
    flag("GRPC_SERVER_USE_TLS", "--tls-cert and --tls-key");
    flag("GRPC_SERVER_TLS_CERT", "--tls-cert");
    flag("GRPC_SERVER_TLS_KEY", "--tls-key");
    flag("GRPC_CLIENT_TLS_CACERT", "--tls-client-ca");
    flag("RUNTIME_ROOT", "--config-dir (the folder RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/RUNTIME_APPDIRECTORY)");
    flag("RUNTIME_SUBDIRECTORY", "--config-dir (the folder RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/RUNTIME_APPDIRECTORY)");
    flag("RUNTIME_APPDIRECTORY", "--config-dir (the folder RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/RUNTIME_APPDIRECTORY)");
    flag("LOCAL_CACHE_SIZE_IN_BYTES", "--no-local-cache for 0 (the local cache is on and holds only keys over their limit)");
    flag("NEAR_LIMIT_RATIO", "--near-limit-ratio");
    flag("CACHE_KEY_PREFIX", "--cache-key-prefix");
    flag("BACKEND_TYPE", "--storage (memory, rocksdb or redis; no memcache)");
    flag("STOP_CACHE_KEY_INCREMENT_WHEN_OVERLIMIT", "--stop-increment-when-over-limit");
    flag("LIMIT_RESPONSE_HEADERS_ENABLED", "--response-headers ratelimit");
    flag("LIMIT_LIMIT_HEADER", "--limit-header");
    flag("LIMIT_REMAINING_HEADER", "--remaining-header");
    flag("LIMIT_RESET_HEADER", "--reset-header");
    flag("HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED", "--healthy-with-at-least-one-config-loaded");
    flag("REDIS_URL", "--redis-url");
    flag("REDIS_SOCKET_TYPE", "--redis-url (redis://host:port, or redis-socket:///path for a unix socket)");
    flag("REDIS_AUTH", "--redis-url (redis://[user:]password@host:port)");
    flag("REDIS_TLS", "--redis-url rediss://host:port");
    flag("REDIS_TIMEOUT", "--redis-timeout-ms");
    flag("REDIS_HEALTH_CHECK_ACTIVE_CONNECTION", "--redis-health-check-active-connection");
    flag("REDIS_STARTUP_INITIAL_INTERVAL", "--redis-startup-initial-interval-ms");
    flag("REDIS_STARTUP_MAX_INTERVAL", "--redis-startup-max-interval-ms");
    flag("REDIS_STARTUP_MAX_ELAPSED_TIME", "--redis-startup-max-elapsed-ms");
    flag("SHADOW_MODE", "--shadow-mode");
    flag("QUOTA_MODE", "--quota-mode");
    flag("RESPONSE_DYNAMIC_METADATA", "--response-dynamic-metadata");
    flag("MERGE_DOMAIN_CONFIG", "--merge-domains");
    String prometheus = "the admin port's /metrics (--admin-port), always in Prometheus format with the statsd exporter's names";
    flag("USE_PROMETHEUS", prometheus);
    flag("PROMETHEUS_ADDR", prometheus);
    flag("PROMETHEUS_PATH", prometheus);

    none("GRPC_UDS", "no unix socket listener");
    none("GRPC_MAX_CONNECTION_AGE", "connections are not aged out");
    none("GRPC_MAX_CONNECTION_AGE_GRACE", "connections are not aged out");
    none("GRPC_CLIENT_TLS_SAN", "mutual TLS accepts any client certificate of --tls-client-ca");
    none("CONFIG_TYPE", "config comes from --config-dir files only, as with FILE");
    none("FORCE_START_WITHOUT_INITIAL_CONFIG", "no xDS config source");
    none("USE_STATSD", "no statsd; metrics are on the admin port's /metrics");
    none("STATSD_HOST", "no statsd; metrics are on the admin port's /metrics");
    none("STATSD_PORT", "no statsd; metrics are on the admin port's /metrics");
    none("EXTRA_TAGS", "no statsd; metrics are on the admin port's /metrics");
    none("STATS_FLUSH_INTERVAL", "metrics are read when scraped");
    none("DISABLE_STATS", "metrics are always served");
    none("PROMETHEUS_MAPPER_YAML", "the statsd exporter's names are fixed");
    none("PROMETHEUS_RESPONSE_TIME_AS_MILLISECONDS", "response times are in seconds");
    none("RUNTIME_IGNOREDOTFILES", "hidden files are always skipped");
    none("RUNTIME_WATCH_ROOT", "--config-dir is always watched");
    none("EXPIRATION_JITTER_MAX_SECONDS", "Redis keys expire at their window's end");
    none("REDIS_TYPE", "one Redis server: no Sentinel or Cluster");
    none("REDIS_POOL_SIZE", "one pipelined connection");
    none("REDIS_POOL_ON_EMPTY_BEHAVIOR", "one pipelined connection");
    none("REDIS_PIPELINE_WINDOW", "each request's commands are pipelined together");
    none("REDIS_PIPELINE_LIMIT", "each request's commands are pipelined together");
    none("REDIS_CLUSTER_PIPELINE_PARALLELISM", "one Redis server: no Sentinel or Cluster");
    none("REDIS_SENTINEL_AUTH", "one Redis server: no Sentinel or Cluster");
    none("REDIS_TLS_CLIENT_CERT", "no flag for a client certificate or CA of rediss://: the JVM's trust store is used");
    none("REDIS_TLS_CLIENT_KEY", "no flag for a client certificate or CA of rediss://: the JVM's trust store is used");
    none("REDIS_TLS_CACERT", "no flag for a client certificate or CA of rediss://: the JVM's trust store is used");
    none("REDIS_TLS_SKIP_HOSTNAME_VERIFICATION", "no flag: rediss:// verifies the server as lettuce does by default");
    PREFIXES.put("REDIS_PERSECOND", NONE + " (one Redis for every unit)");
    PREFIXES.put("MEMCACHE_", NONE + " (no memcache)");
    PREFIXES.put("CONFIG_GRPC_XDS_", NONE + " (no xDS config source)");
    PREFIXES.put("XDS_CLIENT_", NONE + " (no xDS config source)");
    PREFIXES.put("USE_DOG_STATSD", NONE + " (no statsd; metrics are on the admin port's /metrics)");
    PREFIXES.put("TRACING_", NONE + " (no tracing of the rate limit service)");
  }

  private UpstreamEnvironment() {}

  private static void flag(String name, String flag) {
    SETTINGS.put(name, "use " + flag);
  }

  private static void none(String name, String why) {
    SETTINGS.put(name, NONE + " (" + why + ")");
  }

  /** One line for each of the reference's settings set in {@code env}, in name order. */
  static List<String> warnings(Map<String, String> env) {
    List<String> lines = new ArrayList<>();
    for (String name : new TreeMap<>(env).keySet()) {
      String advice = SETTINGS.get(name);
      if (advice == null) {
        for (Map.Entry<String, String> p : PREFIXES.entrySet()) {
          if (name.startsWith(p.getKey())) {
            advice = p.getValue();
            break;
          }
        }
      }
      if (advice != null) {
        lines.add(name + " is set, but Switchyard reads no envoyproxy/ratelimit setting from the environment: " + advice);
      }
    }
    return lines;
  }
}
