package io.switchyard.flinkjobs.graph;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Spans whose timestamps are missing (0) or out of order: ingest keeps them, as the OpenTelemetry Collector's OTLP
 * receiver does, so the edge rules must not turn them into absurd latencies or 1970 edges.
 */
class SpanEdgesTimestampsTest {
  private static final long T0 = 1_700_000_000_000L;

  private static SpanRecord client(long startNanos, long endNanos) {
    return Spans.span(1, 2, 1, "frontend", SpanKind.SPAN_KIND_CLIENT, 0, 0)
        .setStartTimeUnixNano(startNanos).setEndTimeUnixNano(endNanos).build();
  }

  private static SpanRecord server(long startNanos, long endNanos) {
    return Spans.span(1, 3, 2, "checkout", SpanKind.SPAN_KIND_SERVER, 0, 0)
        .setStartTimeUnixNano(startNanos).setEndTimeUnixNano(endNanos).build();
  }

  private static long ms(long millis) {
    return millis * 1_000_000;
  }

  @Test
  void aSpanWithoutStartTimeHasUnknownLatencyNotItsAgeSince1970() {
    EdgeEvent e = Spans.paired(client(0, ms(T0 + 120)), server(ms(T0 + 10), ms(T0 + 110)));

    assertThat(e.clientLatencySeconds).isEqualTo(-1);
    assertThat(e.serverLatencySeconds).isEqualTo(0.1);
  }

  @Test
  void aSpanWithoutStartTimeTimesItsEdgeByItsEnd() {
    EdgeEvent e = Spans.paired(client(0, ms(T0 + 120)), server(ms(T0 + 10), ms(T0 + 110)));

    assertThat(e.timestampMs).isEqualTo(T0 + 120);
  }

  @Test
  void aSpanWithoutEndTimeHasUnknownLatencyNotZero() {
    EdgeEvent e = Spans.paired(client(ms(T0), ms(T0 + 120)), server(ms(T0 + 10), 0));

    assertThat(e.serverLatencySeconds).isEqualTo(-1);
    assertThat(e.clientLatencySeconds).isEqualTo(0.12);
    assertThat(e.timestampMs).isEqualTo(T0);
  }

  @Test
  void aSpanEndingBeforeItStartsCountsAsZeroLatency() {
    EdgeEvent e = Spans.paired(client(ms(T0 + 120), ms(T0)), server(ms(T0 + 10), ms(T0 + 110)));

    assertThat(e.clientLatencySeconds).isEqualTo(0);
  }

  @Test
  void aProducerWithoutEndTimeGivesUnknownQueueLatency() {
    SpanRecord producer = Spans.span(1, 2, 1, "orders", SpanKind.SPAN_KIND_PRODUCER, 0, 0)
        .setStartTimeUnixNano(ms(T0)).setEndTimeUnixNano(0).setMessagingSystem("kafka").build();
    SpanRecord consumer = Spans.span(1, 3, 2, "billing", SpanKind.SPAN_KIND_CONSUMER, 0, 0)
        .setStartTimeUnixNano(ms(T0 + 500)).setEndTimeUnixNano(ms(T0 + 600)).build();

    EdgeEvent e = Spans.paired(producer, consumer);

    assertThat(e.messagingLatencySeconds).isEqualTo(-1);
  }

  @Test
  void unpairedAndDatabaseEdgesAlsoTreatAMissingTimestampAsUnknownLatency() {
    SpanFields noStart = SpanFields.of(client(0, ms(T0 + 120)));
    SpanFields noEnd = SpanFields.of(server(ms(T0), 0));

    assertThat(SpanEdges.unmatchedClient(noStart, List.of()).clientLatencySeconds).isEqualTo(-1);
    assertThat(SpanEdges.database(noStart).clientLatencySeconds).isEqualTo(-1);
    assertThat(SpanEdges.database(noStart).serverLatencySeconds).isEqualTo(-1);
    assertThat(SpanEdges.rootServer(noEnd).serverLatencySeconds).isEqualTo(-1);
  }
}
