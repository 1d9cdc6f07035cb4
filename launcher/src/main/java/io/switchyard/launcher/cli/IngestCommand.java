package io.switchyard.launcher.cli;

import io.switchyard.ingest.IngestConfig;
import io.switchyard.ingest.IngestServer;
import io.switchyard.ingest.kafka.PublisherOptions;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.launcher.Main.UsageException;
import io.switchyard.launcher.runtime.SwitchyardProcess;
import io.switchyard.model.DefaultPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code switchyard ingest}: the OTLP and Envoy access-log receivers, publishing to Kafka. */
@Command(name = "ingest",
    header = "Receives OTLP spans and Envoy access logs into Kafka.",
    mixinStandardHelpOptions = true,
    description = {
        "Receives OTLP traces and logs (gRPC and HTTP) and Envoy gRPC access logs, and publishes typed span "
            + "and access-log records to Kafka. OTLP requests are answered only after Kafka acknowledged them; ALS "
            + "entries are spooled to disk under --data-dir while Kafka is unavailable. See docs/ingest.md."})
public final class IngestCommand implements Callable<Integer> {
  @Option(names = "--otlp-grpc-port", paramLabel = "PORT", description = "OTLP/gRPC port (default: ${DEFAULT-VALUE}).")
  int otlpGrpcPort = DefaultPorts.OTLP_GRPC;

  @Option(names = "--otlp-http-port", paramLabel = "PORT", description = "OTLP/HTTP port (default: ${DEFAULT-VALUE}).")
  int otlpHttpPort = DefaultPorts.OTLP_HTTP;

  @Option(names = "--als-port", paramLabel = "PORT", description = "Envoy gRPC access-log service port (default: ${DEFAULT-VALUE}).")
  int alsPort = DefaultPorts.ACCESS_LOG_GRPC;

  @Option(names = "--host", paramLabel = "HOST", description = "Address the receivers bind to (default: ${DEFAULT-VALUE}).")
  String host = "0.0.0.0";

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Data folder; the ALS spool lives in DIR/ingest/als-spool (default: ${DEFAULT-VALUE}).")
  Path dataDir = Path.of("data");

  @Option(names = "--keep-attributes", description = "Keep every span attribute (stringified) in span records; off by default.")
  boolean keepAttributes;

  @Option(names = "--compression", paramLabel = "CODEC", description = "Kafka compression: lz4, zstd, gzip, snappy, none (default: ${DEFAULT-VALUE}).")
  String compression = "lz4";

  @Option(names = "--inflight-mb", paramLabel = "MIB", description = "Record bytes awaiting Kafka's acknowledgement before OTLP clients are pushed back (default: ${DEFAULT-VALUE}).")
  long inflightMb = 64;

  @Option(names = "--max-queued-requests", paramLabel = "N", description = "OTLP requests (per transport) waiting for a worker; more are refused at once with RESOURCE_EXHAUSTED / 429 and retry info (default: ${DEFAULT-VALUE}).")
  int maxQueuedRequests = IngestConfig.DEFAULT_MAX_QUEUED_REQUESTS;

  @Option(names = "--spool-mb", paramLabel = "MIB", description = "Bound of the on-disk ALS spool; entries beyond it are dropped and counted (default: ${DEFAULT-VALUE}).")
  long spoolMb = 1024;

  @Option(names = "--max-message-mb", paramLabel = "MIB", description = "Largest accepted request (default: ${DEFAULT-VALUE}).")
  int maxMessageMb = IngestConfig.DEFAULT_MAX_MESSAGE_MB;

  @Option(names = "--max-attributes", paramLabel = "N", description = "Attributes read per span or log record; the rest are dropped and the record counted as truncated, like OTel's attribute count limit (default: ${DEFAULT-VALUE}).")
  int maxAttributes = MappingOptions.DEFAULTS.maxAttributes();

  @Option(names = "--max-attribute-length", paramLabel = "CHARS", description = "Longer string values (span names, typed fields, kept attributes) are cut to this length, like OTel's attribute value length limit (default: ${DEFAULT-VALUE}).")
  int maxAttributeLength = MappingOptions.DEFAULTS.maxValueLength();

  @Option(names = "--client-token-file", paramLabel = "FILE", description = "File holding a bearer token every OTLP/ALS client must send (Authorization: Bearer).")
  Path clientTokenFile;

  @Mixin KafkaOptions kafka;
  @Mixin AdminOptions admin;
  @Mixin TlsOptionsMixin tls;

  @Override
  public Integer call() throws Exception {
    // Ports first: IngestConfig refuses a port out of range without naming the flag.
    admin.listenPorts().add("--otlp-grpc-port", host, otlpGrpcPort).add("--otlp-http-port", host, otlpHttpPort)
        .add("--als-port", host, alsPort).check();
    checkSizes();
    IngestConfig config = config(kafka.bootstrapServers, kafka.topicPrefix, dataDir)
        .withPorts(otlpGrpcPort, otlpHttpPort, alsPort).withHost(host)
        .withSecurity(tls.tls().orElse(null), clientToken())
        .withMapping(mapping())
        .withMaxMessageBytes(maxMessageMb << 20).withMaxQueuedRequests(maxQueuedRequests)
        .withFlowControl(new PublisherOptions(inflightMb << 20, PublisherOptions.DEFAULTS.ackTimeout(),
            PublisherOptions.DEFAULTS.retryAfter()), spoolMb << 20);
    try {
      config = config.withCompression(compression);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--compression: " + e.getMessage());
    }
    var out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
    SwitchyardProcess p = SwitchyardProcess.start(admin.host, admin.port, admin.token(), out);
    try {
      start(p, config);
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
    p.awaitShutdown(admin.drain());
    return 0;
  }

  /**
   * The flags in their own units: the config checks the byte counts under its field names
   * ("maxMessageBytes must be >= 1024"), and 2048 MiB and more overflowed the shift to an int of bytes.
   */
  private void checkSizes() {
    int maxMessageMib = Integer.MAX_VALUE >> 20;
    if (maxMessageMb < 1 || maxMessageMb > maxMessageMib) {
      throw new UsageException("--max-message-mb must be 1 to " + maxMessageMib + " (MiB), got " + maxMessageMb);
    }
    if (inflightMb < 1 || inflightMb > Long.MAX_VALUE >> 20) {
      throw new UsageException("--inflight-mb must be at least 1 (MiB), got " + inflightMb);
    }
    if (spoolMb < 1 || spoolMb > Long.MAX_VALUE >> 20) {
      throw new UsageException("--spool-mb must be at least 1 (MiB), got " + spoolMb);
    }
    if (maxQueuedRequests < 1) {
      throw new UsageException("--max-queued-requests must be at least 1, got " + maxQueuedRequests);
    }
  }

  /** The defaults both {@code ingest} and {@code up} start from. */
  public static IngestConfig config(String bootstrapServers, String topicPrefix, Path dataDir) {
    return IngestConfig.defaults(bootstrapServers, dataDir.toAbsolutePath()).withTopicPrefix(topicPrefix)
        .withProducerOverrides(Map.of());
  }

  /** Starts ingest inside a process (standalone or {@code up}) and announces its ports. */
  public static IngestServer start(SwitchyardProcess p, IngestConfig config) throws IOException {
    IngestServer server = p.own("ingest", new IngestServer(config, p.metrics(), p.readiness()));
    server.start();
    String address = "OTLP gRPC :" + server.otlpGrpcPort() + ", OTLP HTTP :" + server.otlpHttpPort()
        + ", Envoy ALS :" + server.alsPort() + " (spool in " + config.dataDir().resolve("ingest/als-spool") + ")";
    String notReady = server.notReady();
    if (notReady == null) {
      p.announce("ingest", address);
    } else {
      // Before, the ready line came out whatever Kafka said, while /readyz answered 503.
      p.announceWaiting("ingest", address, notReady + "; /readyz 503 until it answers");
      server.onceReady(() -> p.announce("ingest", address));
    }
    return server;
  }

  MappingOptions mapping() {
    try {
      return MappingOptions.DEFAULTS.withKeepAttributes(keepAttributes).withLimits(maxAttributes, maxAttributeLength);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--max-attributes/--max-attribute-length: " + e.getMessage());
    }
  }

  private String clientToken() {
    if (clientTokenFile == null) {
      return null;
    }
    try {
      String t = Files.readString(clientTokenFile).strip();
      if (t.isEmpty()) {
        throw new UsageException("--client-token-file " + clientTokenFile + " is empty");
      }
      return t;
    } catch (IOException e) {
      throw new UsageException("cannot read --client-token-file " + clientTokenFile + ": " + e.getMessage());
    }
  }

}
