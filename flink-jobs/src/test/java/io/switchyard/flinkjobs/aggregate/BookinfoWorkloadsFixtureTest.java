package io.switchyard.flinkjobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.TextFormat;
import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.graph.Spans;
import io.switchyard.flinkjobs.mesh.AccessLogEdges;
import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Protocol;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * Istio bookinfo's productpage calling reviews v1, v2 and v3, through access logs and traced spans, turned into
 * edge windows by the job's own functions (access-log edges and span pairs, the pre-aggregation, the keyed
 * window's merge, the window stamp). The records must equal {@code fixtures/bookinfo-edges.txt}: the topology
 * API's {@code WorkloadGraphIT} publishes that file to Kafka and reads the graph back, so the two modules are
 * tested against the one set of records. Run with {@code -Dswitchyard.writeFixtures=true} to rewrite the file
 * after an intended change of the records.
 */
class BookinfoWorkloadsFixtureTest {
  static final String FIXTURE = "fixtures/bookinfo-edges.txt";
  private static final long MINUTE = 60_000;
  /** The topology API tests' start, 2026-11-25T20:00:00Z. */
  private static final long T0 = Instant.parse("2026-11-25T20:00:00Z").toEpochMilli();

  private static EdgeEvent accessLog(String from, String to, String version, long at, long micros, int code, String flags) {
    String service = to.substring(0, to.indexOf('-'));
    return AccessLogEdges.toEdge(AccessLogRecord.newBuilder().setReporter(Reporter.REPORTER_DESTINATION)
        .setSourceWorkload(from).setSourceNamespace("bookinfo").setDestinationService(service + ".bookinfo.svc.cluster.local")
        .setDestinationWorkload(to).setDestinationNamespace("bookinfo").setDestinationVersion(version)
        .setProtocol(Protocol.PROTOCOL_HTTP).setResponseCode(code).setResponseFlags(flags).setDurationMicros(micros)
        .setStartTimeUnixNano(at * 1_000_000).setUpstreamCluster("inbound|9080||").setGrpcStatus(-1).build()).orElseThrow();
  }

  private static int spanIds;

  /** A traced request from productpage-v1 to a reviews pod: the pair the service-graph pairing completes. */
  private static EdgeEvent traced(String workload, long at, long micros, double probability) {
    byte[] trace = new byte[16];
    trace[0] = (byte) ++spanIds;
    SpanRecord client = SpanRecord.newBuilder().setTraceId(ByteString.copyFrom(trace))
        .setSpanId(ByteString.copyFrom(new byte[] {1, 0, 0, 0, 0, 0, 0, (byte) spanIds})).setServiceName("productpage-v1")
        .setIstioNamespace("bookinfo").setIstioWorkload("productpage-v1").setKind(SpanKind.SPAN_KIND_CLIENT)
        .setStartTimeUnixNano(at * 1_000_000).setEndTimeUnixNano((at * 1_000 + micros + 2_000) * 1_000)
        .setSamplingProbability(probability).setHttpStatusCode(200).setRpcGrpcStatusCode(-1).build();
    SpanRecord server = client.toBuilder().setSpanId(ByteString.copyFrom(new byte[] {2, 0, 0, 0, 0, 0, 0, (byte) spanIds}))
        .setParentSpanId(client.getSpanId()).setServiceName("reviews").setIstioWorkload(workload).setKind(SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano((at * 1_000 + 1_000) * 1_000).setEndTimeUnixNano((at * 1_000 + 1_000 + micros) * 1_000).build();
    return Spans.paired(client, server);
  }

  /** The events: minute 0 logged and traced, minute 1 traced only. */
  static List<EdgeEvent> events() {
    return List.of(
        accessLog("productpage-v1", "reviews-v1", "v1", T0 + 1_000, 250_000, 200, "-"),
        accessLog("productpage-v1", "reviews-v2", "v2", T0 + 2_000, 500_000, 200, "-"),
        accessLog("productpage-v1", "reviews-v3", "v3", T0 + 3_000, 125_000, 503, "UF"),
        accessLog("productpage-v1", "reviews-v1", "v1", T0 + 4_000, 1_000_000, 200, "-"),
        accessLog("reviews-v2", "ratings-v1", "v1", T0 + 5_000, 62_500, 200, "-"),
        traced("reviews-v1", T0 + 1_000, 250_000, 1),
        traced("reviews-v1", T0 + 4_000, 1_000_000, 1),
        traced("reviews-v2", T0 + MINUTE + 1_000, 500_000, 0.5),
        traced("reviews-v3", T0 + MINUTE + 2_000, 125_000, 1));
  }

  /** The stamped windows of {@code events} in one subtask, each with its edges-topic key. */
  static List<Map.Entry<String, EdgeAggregate>> windows(List<EdgeEvent> events) throws Exception {
    List<StreamRecord<? extends Tuple2<String, EdgeAggregate>>> partials;
    try (OneInputStreamOperatorTestHarness<EdgeEvent, Tuple2<String, EdgeAggregate>> harness =
        new OneInputStreamOperatorTestHarness<>(new WindowPreAggregator<>(new EdgeWindowing.EdgePartials(), MINUTE, 1000))) {
      harness.setup(Types.<Tuple2<String, EdgeAggregate>>TUPLE(Types.STRING, ProtoTypeInfo.forMessage(EdgeAggregate.class))
          .createSerializer(new SerializerConfigImpl()));
      harness.open();
      for (EdgeEvent e : events) {
        harness.processElement(new StreamRecord<>(e, e.timestampMs));
      }
      harness.processWatermark(new Watermark(T0 + 10 * MINUTE));
      partials = new ArrayList<>(harness.extractOutputStreamRecords());
    }
    EdgeWindowing.MergeEdgePartials merge = new EdgeWindowing.MergeEdgePartials();
    Map<String, EdgeAggregate> byWindow = new LinkedHashMap<>();
    for (StreamRecord<? extends Tuple2<String, EdgeAggregate>> p : partials) {
      String window = p.getValue().f0 + "@" + p.getTimestamp();
      byWindow.put(window, merge.add(p.getValue(), byWindow.getOrDefault(window, merge.createAccumulator())));
    }
    List<Map.Entry<String, EdgeAggregate>> out = new ArrayList<>();
    for (Map.Entry<String, EdgeAggregate> w : byWindow.entrySet()) {
      long start = Long.parseLong(w.getKey().substring(w.getKey().lastIndexOf('@') + 1));
      // as StampEdgeWindow, with a fixed emit time
      EdgeAggregate a = w.getValue().toBuilder().setWindowStartUnixMs(start).setWindowEndUnixMs(start + MINUTE)
          .setEmittedUnixMs(start + MINUTE + 5_000).build();
      out.add(Map.entry(Aggregates.edgeKafkaKey(a), a));
    }
    return out;
  }

  static String print(List<Map.Entry<String, EdgeAggregate>> records) {
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, EdgeAggregate> r : records) {
      s.append(r.getKey()).append('\t').append(TextFormat.printer().emittingSingleLine(true).printToString(r.getValue()).trim())
          .append('\n');
    }
    return s.toString();
  }

  @Test
  void theBookinfoWindowsAreTheRecordsTheTopologyApiTestPublishes() throws Exception {
    List<Map.Entry<String, EdgeAggregate>> records = windows(events());
    String printed = print(records);
    if (Boolean.getBoolean("switchyard.writeFixtures")) {
      Files.writeString(Path.of("../testing-internal/src/main/resources").resolve(FIXTURE), printed);
    }
    assertThat(printed).isEqualTo(fixture());

    // What the fixture holds, in the words of the topology API test: per hop, window and source one record.
    assertThat(records).extracting(Map.Entry::getKey, r -> r.getValue().getSource().name(), r -> r.getValue().getRequestCount(),
        r -> r.getValue().getWorkloadsCount()).containsExactly(
            org.assertj.core.groups.Tuple.tuple("productpage-v1.bookinfo->reviews.bookinfo", "TELEMETRY_SOURCE_MESH", 4.0, 3),
            org.assertj.core.groups.Tuple.tuple("reviews-v2.bookinfo->ratings.bookinfo", "TELEMETRY_SOURCE_MESH", 1.0, 0),
            org.assertj.core.groups.Tuple.tuple("productpage-v1.bookinfo->reviews.bookinfo", "TELEMETRY_SOURCE_TRACE", 2.0, 0),
            org.assertj.core.groups.Tuple.tuple("productpage-v1.bookinfo->reviews.bookinfo", "TELEMETRY_SOURCE_TRACE", 3.0, 2));
    assertThat(records.get(2).getValue().getServer().getWorkload()).isEqualTo("reviews-v1");
    assertThat(records.get(3).getValue().getWorkloadsList()).extracting(w -> w.getServer().getWorkload(), EdgeAggregate::getRequestCount)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("reviews-v2", 2.0), org.assertj.core.groups.Tuple.tuple("reviews-v3", 1.0));
  }

  private static String fixture() throws IOException {
    try (InputStream in = BookinfoWorkloadsFixtureTest.class.getClassLoader().getResourceAsStream(FIXTURE)) {
      return in == null ? "(no " + FIXTURE + " on the class path)" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
