package io.switchyard.topology;

import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.NodeRef;
import io.switchyard.model.v1.ServiceAggregate;
import io.switchyard.model.v1.TelemetrySource;
import java.time.Instant;

/** Hand-made aggregates for tests: every request of a window takes the same latency. */
public final class Fixtures {
  /** 2026-11-25T20:00:00Z, a minute boundary. */
  public static final long T0 = Instant.parse("2026-11-25T20:00:00Z").toEpochMilli();
  public static final long MINUTE = 60_000;

  private Fixtures() {}

  public static NodeRef service(String name, String namespace) {
    return NodeRef.newBuilder().setName(name).setNamespace(namespace).setWorkload(name + "-v1").setApp(name)
        .setVersion("v1").build();
  }

  public static NodeRef node(String name, NodeRef.NodeKind kind) {
    return NodeRef.newBuilder().setName(name).setKind(kind).build();
  }

  public static LatencyHistogram histogram(double requests, double latencySeconds) {
    LatencyHistogram.Builder h = LatencyBuckets.emptyHistogram();
    if (requests > 0) {
      LatencyBuckets.observe(h, latencySeconds, requests);
    }
    return h.build();
  }

  /** One minute of one edge starting at {@code start}; failures are counted as 5xx, the rest 2xx. */
  public static EdgeAggregate edge(NodeRef client, NodeRef server, TelemetrySource source, long start, double requests,
      double failed, double latencySeconds) {
    return EdgeAggregate.newBuilder()
        .setSchemaVersion(1)
        .setClient(client)
        .setServer(server)
        .setSource(source)
        .setProtocol("http")
        .setWindowStartUnixMs(start)
        .setWindowEndUnixMs(start + MINUTE)
        .setRequestCount(requests)
        .setFailedCount(failed)
        .setServerLatency(histogram(requests, latencySeconds))
        .setClientLatency(histogram(requests, latencySeconds * 1.1))
        .addResponses(CodeCount.newBuilder().setCode("2xx").setCount(requests - failed))
        .addResponses(CodeCount.newBuilder().setCode("5xx").setCount(failed))
        .setEmittedUnixMs(start + MINUTE + 5_000)
        .build();
  }

  public static ServiceAggregate serviceWindow(NodeRef service, TelemetrySource source, long start, double requests,
      double failed, double latencySeconds) {
    return ServiceAggregate.newBuilder()
        .setSchemaVersion(1)
        .setService(service)
        .setSource(source)
        .setWindowStartUnixMs(start)
        .setWindowEndUnixMs(start + MINUTE)
        .setRequestCount(requests)
        .setFailedCount(failed)
        .setLatency(histogram(requests, latencySeconds))
        .addResponses(CodeCount.newBuilder().setCode("2xx").setCount(requests - failed))
        .addResponses(CodeCount.newBuilder().setCode("5xx").setCount(failed))
        .setEmittedUnixMs(start + MINUTE + 5_000)
        .build();
  }
}
