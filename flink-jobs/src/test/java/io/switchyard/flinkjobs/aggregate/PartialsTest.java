package io.switchyard.flinkjobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.ServiceAggregate;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The pre-aggregation's plain accumulators against the protobuf-builder fold they replaced
 * ({@link BuilderFold}): the same events give equal messages, bit for bit (same doubles, same code
 * order, same node fields: kept where the events agree, empty where they differ), over many random
 * streams of one hop's events under a few versions, workloads, kinds and protocols.
 */
class PartialsTest {
  private static final List<String> CODES = List.of("", "2xx", "4xx", "5xx", "grpc_14", "-");
  private static final List<String> FLAGS = List.of("", "UF", "UF,URX", "NR", "UH,,UF", "DC");

  private static EdgeEvent randomEvent(Random r) {
    EdgeEvent e = new EdgeEvent();
    // Most streams keep one value of a field outside the key, so both agreeing and differing ones occur.
    e.clientName = "svc";
    e.clientNamespace = "ns";
    e.clientWorkload = r.nextInt(8) == 0 ? "svc-" + r.nextInt(2) : "svc";
    e.clientKind = r.nextInt(20) == 0 ? 1 : 0;
    e.serverName = "db";
    e.serverWorkload = r.nextInt(8) == 0 ? "db-" + r.nextInt(3) : "db-0";
    e.serverVersion = r.nextInt(8) == 0 ? "v" + r.nextInt(3) : "v0";
    e.serverKind = r.nextInt(20) == 0 ? 2 : 0;
    e.source = 1;
    e.connectionType = r.nextInt(10) == 0 ? "" : "database";
    e.protocol = r.nextInt(10) == 0 ? "grpc" : "http";
    e.timestampMs = 1_767_225_600_000L + r.nextInt(60_000);
    e.weight = r.nextInt(4) == 0 ? 1 / (0.01 + r.nextDouble()) : 1;
    e.failed = r.nextInt(5) == 0;
    e.clientLatencySeconds = r.nextInt(6) == 0 ? -1 : Math.exp(r.nextGaussian() * 3 - 4);
    e.serverLatencySeconds = r.nextInt(3) == 0 ? -1 : r.nextDouble() * r.nextDouble();
    e.messagingLatencySeconds = r.nextInt(4) == 0 ? r.nextDouble() * 200 : -1;
    e.responseClass = CODES.get(r.nextInt(CODES.size()));
    e.responseFlags = FLAGS.get(r.nextInt(FLAGS.size()));
    // Up to 20 distinct exact codes: more than an edge record keeps, so the cap's classes are exercised.
    int code = r.nextInt(22);
    e.responseCode = code == 0 ? "" : code == 1 ? "-" : code < 12 ? Integer.toString(190 + code * 10 + code % 3) : Integer.toString(code);
    e.sentBytes = r.nextInt(3) == 0 ? 0 : r.nextInt(100_000);
    e.receivedBytes = r.nextInt(1000);
    return e;
  }

  @RepeatedTest(200)
  void edgePartialEqualsTheBuilderFoldOfTheSameEvents(RepetitionInfo repetition) {
    Random r = new Random(repetition.getCurrentRepetition());
    int n = 1 + r.nextInt(repetition.getCurrentRepetition() < 100 ? 5 : 500);
    EdgeAggregate expected = EdgeAggregate.getDefaultInstance();
    Partials.Edge partial = null;
    for (int i = 0; i < n; i++) {
      EdgeEvent e = randomEvent(r);
      expected = BuilderFold.add(expected, e);
      if (partial == null) {
        partial = new Partials.Edge(e);
      }
      partial.add(e);
    }
    assertThat(partial.toProto()).isEqualTo(expected);
  }

  @RepeatedTest(200)
  void servicePartialEqualsTheBuilderFoldOfTheSameEvents(RepetitionInfo repetition) {
    Random r = new Random(1000 + repetition.getCurrentRepetition());
    int n = 1 + r.nextInt(repetition.getCurrentRepetition() < 100 ? 5 : 500);
    ServiceAggregate expected = ServiceAggregate.getDefaultInstance();
    Partials.Service partial = null;
    for (int i = 0; i < n; i++) {
      EdgeEvent e = randomEvent(r);
      expected = BuilderFold.addService(expected, e);
      if (partial == null) {
        partial = new Partials.Service(e);
      }
      partial.add(e);
    }
    assertThat(partial.toProto()).isEqualTo(expected);
  }

  @Test
  void anEdgeWithoutLatenciesOrCodesLeavesThoseFieldsUnset() {
    EdgeEvent e = new EdgeEvent();
    e.clientName = "a";
    e.serverName = "b";
    Partials.Edge partial = new Partials.Edge(e);
    partial.add(e);
    EdgeAggregate a = partial.toProto();
    assertThat(a.hasClientLatency()).isFalse();
    assertThat(a.hasServerLatency()).isFalse();
    assertThat(a.hasMessagingLatency()).isFalse();
    assertThat(a.getResponsesList()).isEmpty();
    assertThat(a.getRequestCount()).isEqualTo(1);
  }
}
