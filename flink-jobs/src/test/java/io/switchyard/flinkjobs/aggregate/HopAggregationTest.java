package io.switchyard.flinkjobs.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;


import com.google.protobuf.Message;
import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.flinkjobs.mesh.AccessLogEdges;
import io.switchyard.flinkjobs.serde.ProtoTypeInfo;
import io.switchyard.model.LatencyBuckets;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.AccessLogRecord.Protocol;
import io.switchyard.model.v1.AccessLogRecord.Reporter;
import io.switchyard.model.v1.CodeCount;
import io.switchyard.model.v1.EdgeAggregate;
import io.switchyard.model.v1.LatencyHistogram;
import io.switchyard.model.v1.ServiceAggregate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * A window aggregates one hop (and one service) as the edges topic's Kafka key and the topology store
 * name it, whatever versions, workloads and protocols its requests had: the store keeps one record per
 * key, minute and source, so a split window would overwrite its own counts. Events go through the
 * job's pre-aggregation on two subtasks and the keyed window's merge of their partials.
 */
class HopAggregationTest {
  private static final long MINUTE = 60_000;
  private static final long T0 = 1_700_000_040_000L - 1_700_000_040_000L % MINUTE;

  private static AccessLogRecord.Builder productpageToReviews(String version, long micros, int code) {
    return AccessLogRecord.newBuilder().setReporter(Reporter.REPORTER_DESTINATION).setSourceWorkload("productpage-v1")
        .setSourceNamespace("bookinfo").setDestinationService("reviews.bookinfo.svc.cluster.local")
        .setDestinationWorkload("reviews-" + version).setDestinationNamespace("bookinfo").setDestinationVersion(version)
        .setProtocol(Protocol.PROTOCOL_HTTP).setResponseCode(code).setDurationMicros(micros)
        .setStartTimeUnixNano((T0 + 1_000) * 1_000_000).setUpstreamCluster("inbound|9080||").setGrpcStatus(-1);
  }

  private static EdgeEvent edge(AccessLogRecord.Builder r) {
    return AccessLogEdges.toEdge(r.build()).orElseThrow();
  }

  /** Each subtask's partials of one window, then the keyed window's sum per key. */
  private static <B, A extends Message> Map<String, A> window(WindowPreAggregator.Accumulation<B, A> accumulation, Class<A> type,
      AggregateFunction<Tuple2<String, A>, A, A> merge, List<List<EdgeEvent>> subtasks) throws Exception {
    Map<String, A> windows = new LinkedHashMap<>();
    for (List<EdgeEvent> events : subtasks) {
      List<Tuple2<String, A>> partials = new ArrayList<>();
      try (OneInputStreamOperatorTestHarness<EdgeEvent, Tuple2<String, A>> harness =
          new OneInputStreamOperatorTestHarness<>(new WindowPreAggregator<>(accumulation, MINUTE, 1000))) {
        harness.setup(Types.<Tuple2<String, A>>TUPLE(Types.STRING, ProtoTypeInfo.forMessage(type)).createSerializer(new SerializerConfigImpl()));
        harness.open();
        for (EdgeEvent e : events) {
          harness.processElement(new StreamRecord<>(e, e.timestampMs));
        }
        harness.processWatermark(new Watermark(T0 + MINUTE - 1));
        harness.extractOutputStreamRecords().forEach(r -> partials.add(r.getValue()));
      }
      for (Tuple2<String, A> p : partials) {
        windows.put(p.f0, merge.add(p, windows.getOrDefault(p.f0, merge.createAccumulator())));
      }
    }
    return windows;
  }

  private static List<EdgeAggregate> edgeWindows(List<List<EdgeEvent>> subtasks) throws Exception {
    return List.copyOf(window(new EdgeWindowing.EdgePartials(), EdgeAggregate.class, new EdgeWindowing.MergeEdgePartials(), subtasks).values());
  }

  private static List<ServiceAggregate> serviceWindows(List<List<EdgeEvent>> subtasks) throws Exception {
    return List.copyOf(window(new EdgeWindowing.ServicePartials(), ServiceAggregate.class, new EdgeWindowing.MergeServicePartials(), subtasks)
        .values());
  }

  private static LatencyHistogram histogram(double... seconds) {
    LatencyHistogram.Builder h = LatencyBuckets.emptyHistogram();
    for (double s : seconds) {
      LatencyBuckets.observe(h, s, 1);
    }
    return h.build();
  }

  private static CodeCount code(String code, double count) {
    return CodeCount.newBuilder().setCode(code).setCount(count).build();
  }

  @Test
  void threeVersionsOfOneHopSumIntoOneEdgeAndOneServiceWithTheVersionLeftEmptyAndEachVersionListedApart() throws Exception {
    // Durations are binary fractions, so sums in any order are exact.
    List<EdgeEvent> subtask1 = List.of(edge(productpageToReviews("v1", 250_000, 200)), edge(productpageToReviews("v2", 500_000, 200)));
    List<EdgeEvent> subtask2 = List.of(edge(productpageToReviews("v3", 125_000, 503).setResponseFlags("UF")),
        edge(productpageToReviews("v1", 1_000_000, 200)));

    List<EdgeAggregate> edges = edgeWindows(List.of(subtask1, subtask2));

    assertThat(edges).singleElement().satisfies(a -> {
      assertThat(Aggregates.edgeKafkaKey(a)).isEqualTo("productpage-v1.bookinfo->reviews.bookinfo");
      assertThat(a.getRequestCount()).isEqualTo(4);
      assertThat(a.getFailedCount()).isEqualTo(1);
      assertThat(a.getServerLatency()).isEqualTo(histogram(0.25, 0.5, 0.125, 1.0));
      assertThat(a.getClientLatency().getCount()).isZero();
      assertThat(a.getResponsesList()).containsExactlyInAnyOrder(code("2xx", 3), code("5xx", 1));
      assertThat(a.getResponseFlagsList()).containsExactly(code("UF", 1));
      assertThat(a.getServer().getName()).isEqualTo("reviews");
      assertThat(a.getServer().getNamespace()).isEqualTo("bookinfo");
      assertThat(a.getServer().getVersion()).isEmpty();
      assertThat(a.getServer().getWorkload()).isEmpty();
      // what every request agreed on stays
      assertThat(a.getClient()).isEqualTo(subtask1.get(0).clientNode());
      assertThat(a.getProtocol()).isEqualTo("http");
      // each version's own figures, under its own nodes, adding up to the hop's
      assertThat(a.getWorkloadsList()).extracting(w -> w.getServer().getWorkload(), w -> w.getServer().getVersion(),
          EdgeAggregate::getRequestCount, EdgeAggregate::getFailedCount, w -> w.getServerLatency().getSumSeconds())
          .containsExactlyInAnyOrder(tuple("reviews-v1", "v1", 2.0, 0.0, 1.25), tuple("reviews-v2", "v2", 1.0, 0.0, 0.5),
              tuple("reviews-v3", "v3", 1.0, 1.0, 0.125));
      assertThat(a.getWorkloadsList()).allSatisfy(w -> {
        assertThat(w.getClient()).isEqualTo(subtask1.get(0).clientNode());
        assertThat(w.getProtocol()).isEqualTo("http");
        assertThat(List.of(w.getWindowStartUnixMs(), (long) w.getSourceValue(), (long) w.getSchemaVersion(), (long) w.getWorkloadsCount()))
            .containsOnly(0L);
      });
      EdgeAggregate v3 = a.getWorkloadsList().stream().filter(w -> w.getServer().getVersion().equals("v3")).findFirst().orElseThrow();
      assertThat(v3.getResponsesList()).containsExactly(code("5xx", 1));
      assertThat(v3.getResponseFlagsList()).containsExactly(code("UF", 1));
    });

    List<ServiceAggregate> services = serviceWindows(List.of(subtask1, subtask2));
    assertThat(services).singleElement().satisfies(s -> {
      assertThat(Aggregates.serviceKafkaKey(s)).isEqualTo("reviews.bookinfo");
      assertThat(s.getRequestCount()).isEqualTo(4);
      assertThat(s.getFailedCount()).isEqualTo(1);
      assertThat(s.getLatency()).isEqualTo(histogram(0.25, 0.5, 0.125, 1.0));
      assertThat(s.getResponsesList()).containsExactlyInAnyOrder(code("2xx", 3), code("5xx", 1));
      assertThat(s.getService().getVersion()).isEmpty();
      assertThat(s.getService().getWorkload()).isEmpty();
      assertThat(s.getService().getName()).isEqualTo("reviews");
    });
  }

  @Test
  void aSingleVersionHopGivesTheRecordOfTheStraightFoldWithEveryFieldKept() throws Exception {
    List<EdgeEvent> events = List.of(edge(productpageToReviews("v2", 250_000, 200)), edge(productpageToReviews("v2", 500_000, 503)),
        edge(productpageToReviews("v2", 125_000, 200)));
    EdgeAggregate fold = EdgeAggregate.getDefaultInstance();
    ServiceAggregate serviceFold = ServiceAggregate.getDefaultInstance();
    for (EdgeEvent e : events) {
      fold = BuilderFold.add(fold, e);
      serviceFold = BuilderFold.addService(serviceFold, e);
    }
    assertThat(fold.getServer()).isEqualTo(events.get(0).serverNode());
    assertThat(fold.getServer().getVersion()).isEqualTo("v2");
    assertThat(fold.getServer().getWorkload()).isEqualTo("reviews-v2");
    assertThat(fold.getClient()).isEqualTo(events.get(0).clientNode());
    assertThat(fold.getProtocol()).isEqualTo("http");

    assertThat(edgeWindows(List.of(events))).containsExactly(fold);
    assertThat(serviceWindows(List.of(events))).containsExactly(serviceFold);
    // Partials from two subtasks: the keyed window's merge, as before, with the same nodes.
    List<List<EdgeEvent>> split = List.of(events.subList(0, 2), events.subList(2, 3));
    EdgeAggregate merged = Aggregates.merge(BuilderFold.add(BuilderFold.add(EdgeAggregate.getDefaultInstance(), events.get(0)),
        events.get(1)), BuilderFold.add(EdgeAggregate.getDefaultInstance(), events.get(2)));
    assertThat(edgeWindows(split)).containsExactly(merged);
    assertThat(merged.getServer()).isEqualTo(fold.getServer());
    assertThat(merged.getClient()).isEqualTo(fold.getClient());
    assertThat(merged.getProtocol()).isEqualTo("http");
    assertThat(serviceWindows(split)).singleElement().extracting(ServiceAggregate::getService).isEqualTo(events.get(0).serverNode());
  }

  @Test
  void aHopSeenWithTwoProtocolsSumsIntoOneEdgeWithTheProtocolLeftEmpty() throws Exception {
    EdgeEvent http = edge(productpageToReviews("v1", 250_000, 200));
    EdgeEvent grpc = edge(productpageToReviews("v1", 500_000, 200).setProtocol(Protocol.PROTOCOL_GRPC).setGrpcStatus(14));

    for (List<List<EdgeEvent>> subtasks : List.of(List.of(List.of(http, grpc)), List.of(List.of(http), List.of(grpc)))) {
      assertThat(edgeWindows(subtasks)).singleElement().satisfies(a -> {
        assertThat(a.getRequestCount()).isEqualTo(2);
        assertThat(a.getFailedCount()).isEqualTo(1);
        assertThat(a.getServerLatency()).isEqualTo(histogram(0.25, 0.5));
        assertThat(a.getProtocol()).isEmpty();
        assertThat(a.getServer()).isEqualTo(http.serverNode());
        assertThat(a.getWorkloadsList()).extracting(EdgeAggregate::getProtocol, EdgeAggregate::getRequestCount)
            .containsExactlyInAnyOrder(tuple("http", 1.0), tuple("grpc", 1.0));
      });
    }
  }
}
