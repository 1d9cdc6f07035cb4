package io.switchyard.ingest;

import io.switchyard.ingest.kafka.PublisherOptions;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.model.DefaultPorts;
import io.switchyard.serverkit.tls.TlsOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything {@link IngestServer} needs, validated once.
 *
 * @param host listen address of all three receivers
 * @param otlpGrpcPort OTLP/gRPC (TraceService, LogsService); 0 = ephemeral
 * @param otlpHttpPort OTLP/HTTP ({@code /v1/traces}, {@code /v1/logs}); 0 = ephemeral
 * @param alsPort Envoy gRPC access-log service; 0 = ephemeral
 * @param bootstrapServers Kafka bootstrap servers
 * @param topicPrefix prefix of the span and access-log topic names ("" for none)
 * @param dataDir the data folder; the ALS spool lives in {@code <dataDir>/ingest/als-spool}
 * @param tls server TLS (with a client CA: mTLS) for all receivers, or null for plaintext
 * @param bearerToken token every client must send as {@code Authorization: Bearer}, or null
 * @param compression Kafka compression: lz4, zstd, gzip, snappy or none
 * @param maxMessageBytes largest accepted request (gRPC message or decompressed HTTP body)
 * @param spoolMaxBytes on-disk bound of the ALS spool; entries beyond it are dropped and counted
 * @param producerOverrides extra Kafka producer settings (e.g. security), applied last
 * @param maxQueuedRequests OTLP requests (per transport) received but not yet picked up by a worker, at most;
 *     the excess is refused at once (RESOURCE_EXHAUSTED / 429 with retry info) instead of waiting for a deadline
 */
public record IngestConfig(
    String host,
    int otlpGrpcPort,
    int otlpHttpPort,
    int alsPort,
    String bootstrapServers,
    String topicPrefix,
    Path dataDir,
    TlsOptions tls,
    String bearerToken,
    String compression,
    int maxMessageBytes,
    long spoolMaxBytes,
    MappingOptions mapping,
    PublisherOptions publisher,
    Map<String, Object> producerOverrides,
    int maxQueuedRequests) {

  /** Enough to keep every worker busy through a burst; small enough that a waiting call is never near a deadline. */
  public static final int DEFAULT_MAX_QUEUED_REQUESTS = 64;
  /**
   * The largest request by default, in MiB: the Collector's OTLP/HTTP default ({@code confighttp}'s
   * {@code max_request_body_size}), above the 4 MiB of its gRPC receiver. The OTLP specification recommends 64 MiB, which
   * 16 HTTP threads each decoding a whole body could turn into a gigabyte of heap.
   */
  public static final int DEFAULT_MAX_MESSAGE_MB = 20;

  private static final Set<String> COMPRESSIONS = Set.of("lz4", "zstd", "gzip", "snappy", "none");

  public IngestConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(dataDir, "dataDir");
    topicPrefix = topicPrefix == null ? "" : topicPrefix;
    for (int port : new int[] {otlpGrpcPort, otlpHttpPort, alsPort}) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
    }
    if (!COMPRESSIONS.contains(compression)) {
      throw new IllegalArgumentException("compression must be one of " + COMPRESSIONS + ", got '" + compression + "'");
    }
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException("maxMessageBytes must be >= 1024, got " + maxMessageBytes);
    }
    if (maxQueuedRequests < 1) {
      throw new IllegalArgumentException("maxQueuedRequests must be >= 1, got " + maxQueuedRequests);
    }
    if (spoolMaxBytes < 1 << 20) {
      throw new IllegalArgumentException("spoolMaxBytes must be >= 1 MiB, got " + spoolMaxBytes);
    }
    if (bearerToken != null && bearerToken.isBlank()) {
      throw new IllegalArgumentException("bearer token must not be blank");
    }
    producerOverrides = Map.copyOf(producerOverrides == null ? Map.of() : producerOverrides);
  }

  /** Default ports and limits for a broker and data folder. */
  public static IngestConfig defaults(String bootstrapServers, Path dataDir) {
    return new IngestConfig("0.0.0.0", DefaultPorts.OTLP_GRPC, DefaultPorts.OTLP_HTTP, DefaultPorts.ACCESS_LOG_GRPC,
        bootstrapServers, "", dataDir, null, null, "lz4", DEFAULT_MAX_MESSAGE_MB << 20, 1L << 30, MappingOptions.DEFAULTS,
        PublisherOptions.DEFAULTS, Map.of(), DEFAULT_MAX_QUEUED_REQUESTS);
  }

  public IngestConfig withPorts(int grpc, int http, int als) {
    return new IngestConfig(host, grpc, http, als, bootstrapServers, topicPrefix, dataDir, tls, bearerToken,
        compression, maxMessageBytes, spoolMaxBytes, mapping, publisher, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withHost(String h) {
    return new IngestConfig(h, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, tls,
        bearerToken, compression, maxMessageBytes, spoolMaxBytes, mapping, publisher, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withTopicPrefix(String prefix) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, prefix, dataDir, tls,
        bearerToken, compression, maxMessageBytes, spoolMaxBytes, mapping, publisher, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withSecurity(TlsOptions t, String token) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, t,
        token, compression, maxMessageBytes, spoolMaxBytes, mapping, publisher, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withMapping(MappingOptions m) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, tls,
        bearerToken, compression, maxMessageBytes, spoolMaxBytes, m, publisher, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withFlowControl(PublisherOptions p, long spoolBytes) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, tls,
        bearerToken, compression, maxMessageBytes, spoolBytes, mapping, p, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withProducerOverrides(Map<String, Object> overrides) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, tls,
        bearerToken, compression, maxMessageBytes, spoolMaxBytes, mapping, publisher, overrides, maxQueuedRequests);
  }

  public IngestConfig withCompression(String c) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, tls,
        bearerToken, c, maxMessageBytes, spoolMaxBytes, mapping, publisher, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withMaxMessageBytes(int bytes) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, tls,
        bearerToken, compression, bytes, spoolMaxBytes, mapping, publisher, producerOverrides, maxQueuedRequests);
  }

  public IngestConfig withMaxQueuedRequests(int n) {
    return new IngestConfig(host, otlpGrpcPort, otlpHttpPort, alsPort, bootstrapServers, topicPrefix, dataDir, tls,
        bearerToken, compression, maxMessageBytes, spoolMaxBytes, mapping, publisher, producerOverrides, n);
  }
}
