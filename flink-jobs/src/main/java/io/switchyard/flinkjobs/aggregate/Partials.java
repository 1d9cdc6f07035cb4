package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.ServiceAggregate;
import java.util.Arrays;

/**
 * The pre-aggregation's per-(key, window) accumulators in plain fields and arrays. They fold events
 * exactly as {@link Aggregates#addTo} and {@link Aggregates#addServiceTo} fold them into protobuf
 * builders (same additions in the same order, so the same doubles, and response codes in first-seen
 * order), and build the message once, when the partial goes out. The builders copied a histogram's
 * repeated field on the first write after every flush and boxed each bucket update; the profile had
 * them as the largest cost after the pairing itself.
 */
final class Partials {
  private Partials() {}

  /** One latency histogram on {@link LatencyBuckets}' fixed buckets. */
  static final class Histogram {
    private final double[] counts = new double[LatencyBuckets.COUNT];
    private double sumSeconds;
    private double count;

    void observe(double seconds, double weight) {
      int b = LatencyBuckets.bucketOf(seconds);
      counts[b] = counts[b] + weight;
      sumSeconds = sumSeconds + seconds * weight;
      count = count + weight;
    }

    LatencyHistogram toProto() {
      LatencyHistogram.Builder b = LatencyHistogram.newBuilder();
      for (double c : counts) {
        b.addBucketCounts(c);
      }
      return b.setSumSeconds(sumSeconds).setCount(count).build();
    }
  }

  /** Counts per code (response class or Envoy flag), in first-seen order. */
  static final class Codes {
    private String[] codes = new String[4];
    private double[] counts = new double[4];
    private int size;

    void add(String code, double count) {
      for (int i = 0; i < size; i++) {
        if (codes[i].equals(code)) {
          counts[i] = counts[i] + count;
          return;
        }
      }
      if (size == codes.length) {
        codes = Arrays.copyOf(codes, size * 2);
        counts = Arrays.copyOf(counts, size * 2);
      }
      codes[size] = code;
      counts[size] = count;
      size++;
    }

    /** Adds every comma-separated flag of an edge, as {@link Aggregates#addTo} splits them. */
    void addFlags(String flags, double count) {
      if (flags.isEmpty()) {
        return;
      }
      for (String flag : flags.split(",")) {
        add(flag, count);
      }
    }

    void forEach(java.util.function.Consumer<CodeCount> out) {
      for (int i = 0; i < size; i++) {
        out.accept(CodeCount.newBuilder().setCode(codes[i]).setCount(counts[i]).build());
      }
    }
  }

  /** One edge's requests in one window of one subtask. */
  static final class Edge {
    /** The first event: the edge's nodes, source, connection type and protocol (the key fixes them). */
    private final EdgeEvent first;
    private double requests;
    private double failed;
    private Histogram client;
    private Histogram server;
    private Histogram messaging;
    private final Codes responses = new Codes();
    private final Codes flags = new Codes();

    Edge(EdgeEvent first) {
      this.first = first;
    }

    EdgeEvent first() {
      return first;
    }

    void add(EdgeEvent e) {
      requests = requests + e.weight;
      if (e.failed) {
        failed = failed + e.weight;
      }
      if (e.clientLatencySeconds >= 0) {
        if (client == null) {
          client = new Histogram();
        }
        client.observe(e.clientLatencySeconds, e.weight);
      }
      if (e.serverLatencySeconds >= 0) {
        if (server == null) {
          server = new Histogram();
        }
        server.observe(e.serverLatencySeconds, e.weight);
      }
      if (e.messagingLatencySeconds >= 0) {
        if (messaging == null) {
          messaging = new Histogram();
        }
        messaging.observe(e.messagingLatencySeconds, e.weight);
      }
      if (!e.responseClass.isEmpty()) {
        responses.add(e.responseClass, e.weight);
      }
      flags.addFlags(e.responseFlags, e.weight);
    }

    EdgeAggregate toProto() {
      EdgeAggregate.Builder b = Aggregates.emptyEdge(first).toBuilder().setRequestCount(requests).setFailedCount(failed);
      if (client != null) {
        b.setClientLatency(client.toProto());
      }
      if (server != null) {
        b.setServerLatency(server.toProto());
      }
      if (messaging != null) {
        b.setMessagingLatency(messaging.toProto());
      }
      responses.forEach(b::addResponses);
      flags.forEach(b::addResponseFlags);
      return b.build();
    }
  }

  /** One serving node's requests in one window of one subtask. */
  static final class Service {
    private final EdgeEvent first;
    private double requests;
    private double failed;
    private Histogram latency;
    private final Codes responses = new Codes();
    private final Codes flags = new Codes();

    Service(EdgeEvent first) {
      this.first = first;
    }

    EdgeEvent first() {
      return first;
    }

    void add(EdgeEvent e) {
      requests = requests + e.weight;
      if (e.failed) {
        failed = failed + e.weight;
      }
      // Served latency: the server's own measure, else what the caller saw (virtual and mesh-source edges).
      double seconds = e.serverLatencySeconds >= 0 ? e.serverLatencySeconds : e.clientLatencySeconds;
      if (seconds >= 0) {
        if (latency == null) {
          latency = new Histogram();
        }
        latency.observe(seconds, e.weight);
      }
      if (!e.responseClass.isEmpty()) {
        responses.add(e.responseClass, e.weight);
      }
      flags.addFlags(e.responseFlags, e.weight);
    }

    ServiceAggregate toProto() {
      ServiceAggregate.Builder b = Aggregates.emptyService(first).setRequestCount(requests).setFailedCount(failed);
      if (latency != null) {
        b.setLatency(latency.toProto());
      }
      responses.forEach(b::addResponses);
      flags.forEach(b::addResponseFlags);
      return b.build();
    }
  }
}
