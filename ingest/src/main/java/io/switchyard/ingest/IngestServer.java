package io.switchyard.ingest;

import io.switchyard.ingest.kafka.BrokerReachability;
import io.switchyard.ingest.kafka.KafkaPublisher;
import io.switchyard.ingest.mapping.AlsMapper;
import io.switchyard.ingest.mapping.OtlpAccessLogMapper;
import io.switchyard.ingest.mapping.SpanMapper;
import io.switchyard.ingest.receiver.Admission;
import io.switchyard.ingest.receiver.AlsGrpcService;
import io.switchyard.ingest.receiver.BearerTokenInterceptor;
import io.switchyard.ingest.receiver.GrpcDecompressors;
import io.switchyard.ingest.receiver.OtlpGrpcServices;
import io.switchyard.ingest.receiver.OtlpHttpHandler;
import io.switchyard.ingest.receiver.Pipeline;
import io.switchyard.ingest.spool.Spool;
import io.switchyard.ingest.spool.SpoolReplayer;
import io.switchyard.model.Topics;
import io.switchyard.serverkit.grpc.GrpcServer;
import io.switchyard.serverkit.health.Readiness;
import io.switchyard.serverkit.http.HttpServerKit;
import io.switchyard.serverkit.metrics.Metrics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest service: OTLP/gRPC, OTLP/HTTP and Envoy ALS receivers publishing span and access-log records to
 * Kafka, with the ALS spool and its replayer. Started the same way by the launcher and by tests.
 */
public final class IngestServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngestServer.class);
  static final String SPOOL_DIR = "ingest/als-spool";

  private final IngestConfig config;
  private final IngestMetrics metrics;
  private final Readiness.Component readiness;
  private ScheduledExecutorService timers;
  /** How often readiness asks whether Kafka answers. */
  static final Duration KAFKA_CHECK_INTERVAL = Duration.ofSeconds(2);
  private BrokerReachability brokerCheck;
  private ScheduledExecutorService replayThread;
  private final Executor givenOtlpWorkers;
  private final Executor givenHttpWorkers;
  private java.util.concurrent.ExecutorService workers;
  private java.util.concurrent.ExecutorService httpThreads;
  private KafkaPublisher publisher;
  private Spool spool;
  private SpoolReplayer replayer;
  private GrpcServer otlpGrpc;
  private GrpcServer als;
  private AlsGrpcService alsService;
  private HttpServerKit otlpHttp;

  public IngestServer(IngestConfig config, Metrics metrics, Readiness readiness) {
    this(config, metrics, readiness, null, null);
  }

  /** With the executors OTLP requests are worked on (gRPC, HTTP) given, e.g. ones a test holds; null = own pools. */
  IngestServer(IngestConfig config, Metrics metrics, Readiness readiness, Executor otlpWorkers, Executor httpWorkers) {
    this.givenOtlpWorkers = otlpWorkers;
    this.givenHttpWorkers = httpWorkers;
    this.config = config;
    this.metrics = new IngestMetrics(metrics);
    this.readiness = readiness == null ? null : readiness.register("ingest");
  }

  public IngestServer start() throws IOException {
    timers = Executors.newSingleThreadScheduledExecutor(daemon("ingest-timers"));
    replayThread = Executors.newSingleThreadScheduledExecutor(daemon("ingest-spool-replay"));
    publisher = new KafkaPublisher(
        KafkaPublisher.createProducer(config.bootstrapServers(), config.compression(), config.publisher(),
            config.producerOverrides()),
        config.publisher(), timers, metrics, System::nanoTime);
    spool = Spool.open(config.dataDir().resolve(SPOOL_DIR), config.spoolMaxBytes(), Math.min(64L << 20, config.spoolMaxBytes()));
    metrics.spool(spool.bytes());
    String spans = Topics.SPANS.withPrefix(config.topicPrefix()).name();
    String accessLogs = Topics.ACCESS_LOGS.withPrefix(config.topicPrefix()).name();
    Pipeline pipeline = new Pipeline(new SpanMapper(config.mapping()), new OtlpAccessLogMapper(config.mapping()),
        new AlsMapper(config.mapping()), publisher, spool, spans, accessLogs, metrics,
        () -> System.currentTimeMillis() * 1_000_000L);
    replayer = new SpoolReplayer(spool, pipeline::replay, replayThread, Duration.ofMillis(200),
        config.publisher().ackTimeout(), 500, pipeline::replayed).start();

    // Decoding and mapping a 512-span request is not a tiny handler: a worker pool lets every core do it, and a
    // send that waits for Kafka metadata (max.block.ms) never stalls a Netty event loop.
    workers = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
        daemon("ingest-worker"));
    Executor otlpWorkers = givenOtlpWorkers != null ? givenOtlpWorkers : workers;
    // Requests waiting for a worker hold their bytes: bound them by count and by the in-flight budget's size, and
    // refuse the excess on the transport thread (the handlers there only admit or refuse).
    long queuedBytes = config.publisher().inflightBudgetBytes();
    Admission grpcAdmission = new Admission(config.maxQueuedRequests(), queuedBytes);
    GrpcServer.Builder grpc = GrpcServer.builder("ingest-otlp", config.otlpGrpcPort()).host(config.host())
        .tls(config.tls()).maxInboundMessageBytes(config.maxMessageBytes())
        .decompressors(GrpcDecompressors.collectorDefaults())
        .addService(OtlpGrpcServices.tracesDefinition(pipeline, grpcAdmission, otlpWorkers))
        .addService(OtlpGrpcServices.logsDefinition(pipeline, grpcAdmission, otlpWorkers))
        .readiness(readiness);
    alsService = new AlsGrpcService(pipeline);
    GrpcServer.Builder alsBuilder = GrpcServer.builder("ingest-als", config.alsPort()).host(config.host())
        .executor(workers)
        .tls(config.tls()).maxInboundMessageBytes(config.maxMessageBytes())
        .addService(alsService).onDrain(alsService::endStreams)
        .readiness(readiness);
    if (config.bearerToken() != null) {
      grpc.intercept(new BearerTokenInterceptor(config.bearerToken()));
      alsBuilder.intercept(new BearerTokenInterceptor(config.bearerToken()));
    }
    boolean token = config.bearerToken() != null;
    Executor httpWorkers = givenHttpWorkers;
    if (httpWorkers == null) {
      // HTTP handlers wait for Kafka's acknowledgement on their thread, so they get a pool of their own.
      httpThreads = Executors.newFixedThreadPool(16, daemon("ingest-otlp-http"));
      httpWorkers = httpThreads;
    }
    Admission httpAdmission = new Admission(config.maxQueuedRequests(), queuedBytes);
    HttpServerKit.Builder http = HttpServerKit.builder("ingest-otlp-http", config.otlpHttpPort()).host(config.host())
        .tls(config.tls()).executor(httpAdmission.httpExecutor(httpWorkers)).errorBody(OtlpHttpHandler.errorBody())
        .route("/v1/traces", OtlpHttpHandler.traces(pipeline, config.maxMessageBytes()), token)
        .route("/v1/logs", OtlpHttpHandler.logs(pipeline, config.maxMessageBytes()), token)
        .route("/", OtlpHttpHandler.notFound(), token);
    if (token) {
      http.bearerToken(config.bearerToken());
    }
    otlpGrpc = grpc.build().start();
    als = alsBuilder.build().start();
    otlpHttp = http.build().start();
    if (readiness != null) {
      brokerCheck = new BrokerReachability(config.bootstrapServers(), readiness, KAFKA_CHECK_INTERVAL).start();
    }
    log.info("ingest up: OTLP gRPC :{}, OTLP HTTP :{}, ALS :{} -> Kafka {} (topics {}, {})",
        otlpGrpc.port(), otlpHttp.port(), als.port(), config.bootstrapServers(), spans, accessLogs);
    return this;
  }

  public int otlpGrpcPort() {
    return otlpGrpc.port();
  }

  public int otlpHttpPort() {
    return otlpHttp.port();
  }

  public int alsPort() {
    return als.port();
  }

  public IngestMetrics metrics() {
    return metrics;
  }

  /** Bytes of ALS entries waiting in the spool. */
  public long spooledBytes() {
    return spool.bytes();
  }

  /**
   * Why ingest is not ready right after {@link #start} (Kafka did not answer its first check), or null when it is.
   */
  public String notReady() {
    return readiness == null || readiness.isReady() ? null : readiness.reason();
  }

  /** Runs {@code r} once, the first time ingest is ready from this call on (at once if it is now). */
  public void onceReady(Runnable r) {
    readiness.onceReady(r);
  }

  /** The Envoy access-log streams open now (for tests). */
  int openAlsStreams() {
    return alsService.openStreams();
  }

  /** Stops taking requests, drains in-flight ones, flushes Kafka, and leaves the spool durable on disk. */
  @Override
  public void close() {
    if (brokerCheck != null) {
      brokerCheck.close();
    }
    if (readiness != null) {
      readiness.notReady("stopped");
    }
    // All three listeners at once: one after another, the later ones took new calls while the first drained, and
    // their graces added up to three times the one a pod's grace period allows for (docs/kubernetes.md).
    List<Thread> closing = new ArrayList<>();
    for (AutoCloseable listener : new AutoCloseable[] {otlpHttp, otlpGrpc, als}) {
      if (listener != null) {
        Thread t = new Thread(() -> {
          try {
            listener.close();
          } catch (Exception e) {
            log.warn("closing an ingest listener failed", e);
          }
        }, "ingest-close");
        t.start();
        closing.add(t);
      }
    }
    for (Thread t : closing) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (httpThreads != null) {
      httpThreads.shutdown();
    }
    if (workers != null) {
      workers.shutdown();
    }
    if (replayer != null) {
      replayer.close();
    }
    shutdown(replayThread);
    if (publisher != null) {
      publisher.close();
    }
    shutdown(timers);
    if (spool != null) {
      try {
        spool.close();
      } catch (IOException e) {
        log.error("closing the ALS spool failed", e);
      }
    }
  }

  private static void shutdown(ScheduledExecutorService s) {
    if (s == null) {
      return;
    }
    s.shutdown();
    try {
      if (!s.awaitTermination(10, TimeUnit.SECONDS)) {
        s.shutdownNow();
      }
    } catch (InterruptedException e) {
      s.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
