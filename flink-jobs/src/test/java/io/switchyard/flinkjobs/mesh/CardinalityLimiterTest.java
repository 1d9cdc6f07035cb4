package io.switchyard.flinkjobs.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.flinkjobs.graph.EdgeEvent;
import io.switchyard.model.v1.NodeRef.NodeKind;
import java.util.List;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class CardinalityLimiterTest {
  private static EdgeEvent edge(String client, String server) {
    EdgeEvent e = new EdgeEvent();
    e.clientName = client;
    e.serverName = server;
    e.serverKind = NodeKind.NODE_KIND_VIRTUAL_VALUE;
    return e;
  }

  @Test
  void addressesAndPodNamesCollapseAndNamesPastTheCapGroupAsOther() throws Exception {
    CardinalityLimiter limiter = new CardinalityLimiter(4);
    try (var h = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(limiter))) {
      h.open();
      for (EdgeEvent e : List.of(edge("frontend", "10.0.3.7:8080"), edge("frontend", "10.0.3.9"),
          edge("frontend", "reviews-7d9f8c6b5d-x2k4q"), edge("frontend", "db-a"), edge("frontend", "db-b"))) {
        h.processElement(new StreamRecord<>(e));
      }
      List<EdgeEvent> out = h.extractOutputValues();
      assertThat(out).extracting(e -> e.serverName)
          .containsExactly("ip-addresses", "ip-addresses", "reviews-*", "db-a", "other");
      assertThat(out.get(0).serverKind).isEqualTo(NodeKind.NODE_KIND_GROUPED_VALUE);
      assertThat(out.get(3).serverKind).isEqualTo(NodeKind.NODE_KIND_VIRTUAL_VALUE);
      assertThat(limiter.collapsedCount()).isEqualTo(4);
      assertThat(limiter.admittedCount()).isEqualTo(4); // frontend, ip-addresses, reviews-*, db-a
    }
  }

  @Test
  void userAndUnknownNodesAreNeverCapped() throws Exception {
    CardinalityLimiter limiter = new CardinalityLimiter(1);
    try (var h = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(limiter))) {
      h.open();
      EdgeEvent e = edge("user", "unknown");
      e.clientKind = NodeKind.NODE_KIND_USER_VALUE;
      e.serverKind = NodeKind.NODE_KIND_UNKNOWN_VALUE;
      h.processElement(new StreamRecord<>(e));
      assertThat(h.extractOutputValues()).extracting(x -> x.clientName + "->" + x.serverName).containsExactly("user->unknown");
    }
  }

  @Test
  void aNameSeenAgainGetsTheSameDecisionAndCountsAsCollapsedEachTime() throws Exception {
    CardinalityLimiter limiter = new CardinalityLimiter(2);
    try (var h = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(limiter))) {
      h.open();
      for (int i = 0; i < 3; i++) {
        for (EdgeEvent e : List.of(edge("frontend", "10.0.0.1"), edge("frontend", "db-a"))) {
          h.processElement(new StreamRecord<>(e));
        }
      }
      assertThat(h.extractOutputValues()).extracting(e -> e.serverName)
          .containsExactly("ip-addresses", "other", "ip-addresses", "other", "ip-addresses", "other");
      assertThat(limiter.collapsedCount()).isEqualTo(6);
      assertThat(limiter.admittedCount()).isEqualTo(2);
    }
  }
}
