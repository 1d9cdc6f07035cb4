package io.switchyard.flinkjobs.aggregate;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.ServiceAggregate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The pre-aggregation's per-(key, window) accumulators in plain fields and arrays. They fold events
 * exactly as folding them one at a time into protobuf builders would (same additions in the same
 * order, so the same doubles, and response codes in first-seen order; the tests keep that fold as the
 * reference), and build the message once, when the partial goes out. The builders copied a histogram's
 * repeated field on the first write after every flush and boxed each bucket update; the profile had
 * them as the largest cost after the pairing itself.
 */
final class Partials {
  private Partials() {}

  /**
   * One latency histogram on {@link LatencyBuckets}' fixed buckets. A partial makes its histograms with
   * itself and a record carries one only once it was {@link #observed}: a histogram made on the first
   * observation was a branch that the compiled fold had never seen taken (partials are made at start, before
   * the JIT profiles, and again after every flush), so the first partial after a flush threw the compiled
   * fold away.
   */
  static final class Histogram {
    private final double[] counts = new double[LatencyBuckets.COUNT];
    private double sumSeconds;
    private double count;
    private boolean observed;

    void observe(double seconds, double weight) {
      int b = LatencyBuckets.bucketOf(seconds);
      counts[b] = counts[b] + weight;
      sumSeconds = sumSeconds + seconds * weight;
      count = count + weight;
      observed = true;
    }

    /** Whether anything was observed: only then does a record carry this histogram. */
    boolean observed() {
      return observed;
    }

    void copyInto(Histogram h) {
      System.arraycopy(counts, 0, h.counts, 0, counts.length);
      h.sumSeconds = sumSeconds;
      h.count = count;
      h.observed = observed;
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

    void copyInto(Codes into) {
      into.codes = Arrays.copyOf(codes, codes.length);
      into.counts = Arrays.copyOf(counts, counts.length);
      into.size = size;
    }

    /**
     * Adds an exact response code while fewer than {@link Aggregates#MAX_RESPONSE_CODES} distinct codes are
     * kept, else under its class ({@link Aggregates#codeClass}).
     */
    void addCapped(String code, double count) {
      for (int i = 0; i < size; i++) {
        if (codes[i].equals(code)) {
          counts[i] = counts[i] + count;
          return;
        }
      }
      add(size < Aggregates.MAX_RESPONSE_CODES ? code : Aggregates.codeClass(code), count);
    }

    /** Adds every comma-separated flag of an edge, as Envoy writes them. */
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

  /**
   * What every partial counts: requests, failures, responses by code and Envoy flags, under the
   * server node of its key: the first event's name and namespace, and each other field where every
   * event agrees, else empty (see {@link Aggregates}).
   */
  abstract static class Partial<A> {
    /**
     * The nodes the aggregate is built under: a copy of the first event's, since the fields not in the
     * key can turn empty (a service partial uses only the server's).
     */
    final EdgeEvent identity = new EdgeEvent();
    double requests;
    double failed;
    final Codes responses = new Codes();
    final Codes flags = new Codes();

    Partial(EdgeEvent first) {
      identity.source = first.source;
      identity.clientName = first.clientName;
      identity.clientNamespace = first.clientNamespace;
      identity.clientWorkload = first.clientWorkload;
      identity.clientVersion = first.clientVersion;
      identity.clientKind = first.clientKind;
      identity.connectionType = first.connectionType;
      identity.protocol = first.protocol;
      identity.serverName = first.serverName;
      identity.serverNamespace = first.serverNamespace;
      identity.serverWorkload = first.serverWorkload;
      identity.serverVersion = first.serverVersion;
      identity.serverKind = first.serverKind;
    }

    /** Whether {@code e} has this partial's key. */
    abstract boolean sameKey(EdgeEvent e);

    /** The key the keyed window groups this partial by. */
    abstract String key();

    abstract A toProto();

    void add(EdgeEvent e) {
      mergeServer(e);
      countRequest(e);
    }

    /** The server node's fields not in the key: each kept where every event agrees, else emptied. */
    final void mergeServer(EdgeEvent e) {
      identity.serverWorkload = Aggregates.common(identity.serverWorkload, e.serverWorkload);
      identity.serverVersion = Aggregates.common(identity.serverVersion, e.serverVersion);
      identity.serverKind = Aggregates.commonKind(identity.serverKind, e.serverKind);
    }

    /** Requests, failures, responses and flags. */
    final void countRequest(EdgeEvent e) {
      requests = requests + e.weight;
      if (e.failed) {
        failed = failed + e.weight;
      }
      if (!e.responseClass.isEmpty()) {
        responses.add(e.responseClass, e.weight);
      }
      flags.addFlags(e.responseFlags, e.weight);
    }
  }

  /**
   * One edge's requests in one window of one subtask. While every event names the same workloads, versions,
   * kinds, connection type and protocol it is one record; from the first event that differs, the figures are
   * also kept per workload ({@link #parts}), which the record lists under {@code workloads}.
   */
  static final class Edge extends Partial<EdgeAggregate> {
    private final Histogram client = new Histogram();
    private final Histogram server = new Histogram();
    private final Histogram messaging = new Histogram();
    private final Codes codes = new Codes();
    private double sentBytes;
    private double receivedBytes;
    /** Per distinct workload identity, in first-seen order; null while all events are alike. */
    private List<Edge> parts;

    Edge(EdgeEvent first) {
      super(first);
    }

    /**
     * Whether {@code e} has this partial's workload identity. Only asked while {@link #parts} is null (or of a
     * part), when no field of {@link #identity} has been emptied, so it still holds the first event's.
     */
    private boolean alike(EdgeEvent e) {
      EdgeEvent i = identity;
      return i.clientKind == e.clientKind && i.serverKind == e.serverKind && i.serverVersion.equals(e.serverVersion)
          && i.serverWorkload.equals(e.serverWorkload) && i.clientVersion.equals(e.clientVersion)
          && i.clientWorkload.equals(e.clientWorkload) && i.protocol.equals(e.protocol)
          && i.connectionType.equals(e.connectionType);
    }

    /** A part holding this partial's figures so far, under its (still unmerged) identity. */
    private Edge copyAsPart() {
      Edge p = new Edge(identity);
      p.requests = requests;
      p.failed = failed;
      responses.copyInto(p.responses);
      flags.copyInto(p.flags);
      client.copyInto(p.client);
      server.copyInto(p.server);
      messaging.copyInto(p.messaging);
      codes.copyInto(p.codes);
      p.sentBytes = sentBytes;
      p.receivedBytes = receivedBytes;
      return p;
    }

    private Edge partOf(EdgeEvent e) {
      for (Edge p : parts) {
        if (p.alike(e)) {
          return p;
        }
      }
      Edge p = new Edge(e);
      parts.add(p);
      return p;
    }

    @Override
    boolean sameKey(EdgeEvent e) {
      return identity.sameEdge(e);
    }

    @Override
    String key() {
      return identity.edgeKey();
    }

    /**
     * While every event is {@link #alike} the identity has nothing to merge: each field it would merge is one
     * that {@code alike} found equal. Skipping the merge then halves the string comparisons of an event, and
     * the fold's compiled code with them.
     */
    @Override
    void add(EdgeEvent e) {
      if (parts == null) {
        if (alike(e)) {
          addFigures(e);
          return;
        }
        parts = new ArrayList<>(4);
        parts.add(copyAsPart());
      }
      partOf(e).add(e);
      mergeServer(e);
      identity.clientWorkload = Aggregates.common(identity.clientWorkload, e.clientWorkload);
      identity.clientVersion = Aggregates.common(identity.clientVersion, e.clientVersion);
      identity.clientKind = Aggregates.commonKind(identity.clientKind, e.clientKind);
      identity.connectionType = Aggregates.common(identity.connectionType, e.connectionType);
      identity.protocol = Aggregates.common(identity.protocol, e.protocol);
      addFigures(e);
    }

    /** Everything but the identity: counts, latencies, codes and bytes. */
    private void addFigures(EdgeEvent e) {
      countRequest(e);
      if (e.clientLatencySeconds >= 0) {
        client.observe(e.clientLatencySeconds, e.weight);
      }
      if (e.serverLatencySeconds >= 0) {
        server.observe(e.serverLatencySeconds, e.weight);
      }
      if (e.messagingLatencySeconds >= 0) {
        messaging.observe(e.messagingLatencySeconds, e.weight);
      }
      if (!e.responseCode.isEmpty()) {
        codes.addCapped(e.responseCode, e.weight);
      }
      sentBytes = sentBytes + e.sentBytes * e.weight;
      receivedBytes = receivedBytes + e.receivedBytes * e.weight;
    }

    @Override
    EdgeAggregate toProto() {
      EdgeAggregate.Builder b = Aggregates.emptyEdge(identity).toBuilder().setRequestCount(requests).setFailedCount(failed);
      if (client.observed()) {
        b.setClientLatency(client.toProto());
      }
      if (server.observed()) {
        b.setServerLatency(server.toProto());
      }
      if (messaging.observed()) {
        b.setMessagingLatency(messaging.toProto());
      }
      responses.forEach(b::addResponses);
      flags.forEach(b::addResponseFlags);
      codes.forEach(b::addResponseCodes);
      b.setSentBytes(sentBytes).setReceivedBytes(receivedBytes);
      if (parts != null) {
        for (Edge p : parts) {
          b.addWorkloads(Aggregates.partOf(p.toProto()));
        }
      }
      return b.build();
    }
  }

  /** One serving node's requests in one window of one subtask. */
  static final class Service extends Partial<ServiceAggregate> {
    private final Histogram latency = new Histogram();

    Service(EdgeEvent first) {
      super(first);
    }

    @Override
    boolean sameKey(EdgeEvent e) {
      return identity.sameService(e);
    }

    @Override
    String key() {
      return identity.serviceKey();
    }

    @Override
    void add(EdgeEvent e) {
      super.add(e);
      // Served latency: the server's own measure, else what the caller saw (virtual and mesh-source edges).
      double seconds = e.serverLatencySeconds >= 0 ? e.serverLatencySeconds : e.clientLatencySeconds;
      if (seconds >= 0) {
        latency.observe(seconds, e.weight);
      }
    }

    @Override
    ServiceAggregate toProto() {
      ServiceAggregate.Builder b = Aggregates.emptyService(identity).setRequestCount(requests).setFailedCount(failed);
      if (latency.observed()) {
        b.setLatency(latency.toProto());
      }
      responses.forEach(b::addResponses);
      flags.forEach(b::addResponseFlags);
      return b.build();
    }
  }

  /** The pre-aggregation's view of one kind of partial: all but the hash and the constructor are the partial's. */
  abstract static class Accumulation<B extends Partial<A>, A> implements WindowPreAggregator.Accumulation<B, A> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean sameKey(B acc, EdgeEvent e) {
      return acc.sameKey(e);
    }

    @Override
    public String key(B acc) {
      return acc.key();
    }

    /**
     * The fold, which the local jar's JVM flags keep out of the pre-aggregator's compiled code ({@code dontinline}
     * in flink-jobs/pom.xml): C1 cannot inline it (two receiver classes), so C2 compiles it on its own anyway.
     */
    @Override
    public void add(B acc, EdgeEvent e) {
      acc.add(e);
    }

    @Override
    public A result(B acc) {
      return acc.toProto();
    }
  }
}
