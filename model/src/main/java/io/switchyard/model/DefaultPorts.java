package io.switchyard.model;

/**
 * The port every Switchyard listener takes unless told otherwise. Nothing else started by
 * {@code switchyard up} may bind these (the Flink MiniCluster's REST port, 8081 by default, is moved).
 */
public final class DefaultPorts {
  public static final int EXT_AUTHZ_GRPC = 9191;
  public static final int RATELIMIT_GRPC = 8081;
  public static final int OTLP_GRPC = 4317;
  public static final int OTLP_HTTP = 4318;
  public static final int ACCESS_LOG_GRPC = 9001;
  public static final int TOPOLOGY_HTTP = 8080;
  public static final int XDS_GRPC = 18000;
  public static final int ADMIN_HTTP = 9464;
  /** Prometheus metrics of the Flink jobs' child JVM (Flink's reporter; its usual port). */
  public static final int FLINK_METRICS_HTTP = 9249;
  public static final int KAFKA = 9092;
  public static final int KAFKA_CONTROLLER = 9093;

  private DefaultPorts() {}
}
