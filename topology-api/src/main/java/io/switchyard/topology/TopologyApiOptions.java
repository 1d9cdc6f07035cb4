package io.switchyard.topology;

import io.switchyard.model.DefaultPorts;
import io.switchyard.serverkit.tls.TlsOptions;
import io.switchyard.topology.http.ApiRouter;
import io.switchyard.topology.query.TopologyQueries;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Everything {@link TopologyApiServer} needs, validated once.
 *
 * @param dataDir the store lives in {@code dataDir/topology-store}; delete it to rebuild from Kafka
 * @param tokensFile bearer tokens, one a line; null = no authentication
 * @param corsOrigins browser origins allowed to read responses ("*" = any); empty = no CORS headers
 * @param maxSeries cap on edges and on services exposed at /metrics
 * @param caches how much the query side keeps between requests
 */
public record TopologyApiOptions(
    String host,
    int port,
    Path dataDir,
    String bootstrapServers,
    String topicPrefix,
    Duration retention,
    TlsOptions tls,
    Path tokensFile,
    Set<String> corsOrigins,
    int maxSeries,
    Caches caches) {

  public static final int DEFAULT_MAX_SERIES = 10_000;

  /**
   * @param pieceBytes decoded buckets (minutes and roll-ups) kept for later graphs; 0 = decode every time
   * @param graphs finished graphs kept for repeated ranges; 0 = none
   * @param graphBodies JSON bodies of the newest graphs kept for repeated requests; 0 = none
   */
  public record Caches(long pieceBytes, int graphs, int graphBodies) {
    public static final Caches DEFAULT = new Caches(TopologyQueries.DEFAULT_CACHED_PIECE_BYTES,
        TopologyQueries.DEFAULT_CACHED_GRAPHS, ApiRouter.DEFAULT_KEPT_GRAPH_BODIES);

    public Caches {
      if (pieceBytes < 0 || graphs < 0 || graphBodies < 0) {
        throw new IllegalArgumentException("cache sizes must not be negative: " + pieceBytes + " bytes of pieces, "
            + graphs + " graphs, " + graphBodies + " bodies");
      }
    }
  }

  public TopologyApiOptions {
    host = host == null ? "0.0.0.0" : host;
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    topicPrefix = topicPrefix == null ? "" : topicPrefix;
    retention = retention == null ? Duration.ofDays(3) : retention;
    corsOrigins = corsOrigins == null ? Set.of() : Set.copyOf(corsOrigins);
    caches = caches == null ? Caches.DEFAULT : caches;
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (maxSeries <= 0) {
      throw new IllegalArgumentException("maxSeries must be positive: " + maxSeries);
    }
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention must not be negative: " + retention);
    }
  }

  /** Defaults: port 8080 on all interfaces, 3 days of retention, no TLS, no tokens, no CORS. */
  public static TopologyApiOptions defaults(Path dataDir, String bootstrapServers, String topicPrefix) {
    return new TopologyApiOptions(null, DefaultPorts.TOPOLOGY_HTTP, dataDir, bootstrapServers, topicPrefix, null, null,
        null, null, DEFAULT_MAX_SERIES, null);
  }

  public TopologyApiOptions withPort(int newPort) {
    return new TopologyApiOptions(host, newPort, dataDir, bootstrapServers, topicPrefix, retention, tls, tokensFile,
        corsOrigins, maxSeries, caches);
  }

  public TopologyApiOptions withHost(String newHost) {
    return new TopologyApiOptions(newHost, port, dataDir, bootstrapServers, topicPrefix, retention, tls, tokensFile,
        corsOrigins, maxSeries, caches);
  }

  public TopologyApiOptions withAccess(Path newTokensFile, Set<String> newCorsOrigins) {
    return new TopologyApiOptions(host, port, dataDir, bootstrapServers, topicPrefix, retention, tls, newTokensFile,
        newCorsOrigins, maxSeries, caches);
  }

  public TopologyApiOptions withTls(TlsOptions newTls) {
    return new TopologyApiOptions(host, port, dataDir, bootstrapServers, topicPrefix, retention, newTls, tokensFile,
        corsOrigins, maxSeries, caches);
  }

  public TopologyApiOptions withRetention(Duration newRetention) {
    return new TopologyApiOptions(host, port, dataDir, bootstrapServers, topicPrefix, newRetention, tls, tokensFile,
        corsOrigins, maxSeries, caches);
  }

  public TopologyApiOptions withMaxSeries(int newMaxSeries) {
    return new TopologyApiOptions(host, port, dataDir, bootstrapServers, topicPrefix, retention, tls, tokensFile,
        corsOrigins, newMaxSeries, caches);
  }

  public TopologyApiOptions withCaches(Caches newCaches) {
    return new TopologyApiOptions(host, port, dataDir, bootstrapServers, topicPrefix, retention, tls, tokensFile,
        corsOrigins, maxSeries, newCaches);
  }
}
