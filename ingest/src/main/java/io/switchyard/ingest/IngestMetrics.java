package io.switchyard.ingest;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.switchyard.serverkit.metrics.Metrics;

/**
 * Ingest's metrics. Records are counted per signal ({@code spans}, {@code logs}, {@code als}) and outcome:
 * {@code accepted} (handed to Kafka and acknowledged), {@code rejected} (invalid), {@code refused} (pushed back
 * to the client, which retries), {@code ignored} (not an access log), {@code spooled}, {@code replayed},
 * {@code dropped} (lost: spool full); {@code truncated} counts accepted records that were cut to the attribute
 * limits (they are also counted as accepted). The links of accepted CONSUMER spans that their records do not keep
 * are counted apart, as links, by reason: {@code over_limit} (valid, past the first 128) or {@code invalid} (ids
 * not 16 and 8 bytes, or all zero); a span is not counted as truncated for them. Envoy's intermediate access-log
 * entries (periodic, start) are ignored records, counted once more by reason (their Envoy access-log type); access-log
 * records published without the trace id they carried, because it was invalid, are counted by reason too.
 */
public final class IngestMetrics {
  final Counter records;
  final Counter refusedRequests;
  final Counter droppedSpanLinks;
  final Counter skippedAccessLogs;
  final Counter droppedTraceIds;
  final Counter bytesIn;
  final Counter bytesOut;
  final Histogram sendSeconds;
  final Gauge inflightBytes;
  final Gauge inflightBudgetBytes;
  final Gauge spoolBytes;
  final Gauge kafkaAvailable;

  public IngestMetrics(Metrics m) {
    records = m.counter("switchyard_ingest_records_total",
        "Records received by ingest, by signal and outcome", "signal", "outcome");
    refusedRequests = m.counter("switchyard_ingest_refused_requests_total",
        "OTLP requests refused before they were parsed (their records are not counted), by signal and reason",
        "signal", "reason");
    droppedSpanLinks = m.counter("switchyard_ingest_span_links_dropped_total",
        "Links of accepted CONSUMER spans not kept in their records, by reason (over_limit: valid links past the first "
            + "128; invalid: ids not 16 and 8 bytes, or all zero)", "reason");
    skippedAccessLogs = m.counter("switchyard_ingest_access_logs_skipped_total",
        "Envoy access-log entries not published because they are not the final entry of their request or connection "
            + "(also counted as ignored records), by signal and reason (Envoy's access-log type, or "
            + "intermediate_log_entry)", "signal", "reason");
    droppedTraceIds = m.counter("switchyard_ingest_trace_ids_dropped_total",
        "Access-log records published without a trace id because the one they carried was invalid, by signal and "
            + "reason", "signal", "reason");
    bytesIn = m.counter("switchyard_ingest_bytes_in_total",
        "Request payload bytes received (after decompression), by signal", "signal");
    bytesOut = m.counter("switchyard_ingest_bytes_out_total",
        "Record bytes (key + value) acknowledged by Kafka, by topic", "topic");
    sendSeconds = m.histogram("switchyard_ingest_kafka_send_seconds",
        "Time from handing a batch to the Kafka producer to its acknowledgement",
        new double[] {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    inflightBytes = m.gauge("switchyard_ingest_inflight_bytes",
        "Record bytes handed to Kafka and not yet acknowledged");
    inflightBudgetBytes = m.gauge("switchyard_ingest_inflight_budget_bytes",
        "The in-flight byte budget above which OTLP requests are pushed back");
    spoolBytes = m.gauge("switchyard_ingest_spool_bytes", "Bytes of ALS entries waiting in the on-disk spool");
    kafkaAvailable = m.gauge("switchyard_ingest_kafka_available",
        "1 while Kafka acknowledges ingest's writes, 0 while it does not");
  }

  public void count(String signal, String outcome, long n) {
    if (n > 0) {
      records.labelValues(signal, outcome).inc(n);
    }
  }

  public void refusedRequest(String signal, String reason) {
    refusedRequests.labelValues(signal, reason).inc();
  }

  public double refusedRequests(String signal, String reason) {
    return refusedRequests.labelValues(signal, reason).get();
  }

  /** {@code reason}: {@code over_limit} or {@code invalid}. */
  public void droppedSpanLinks(String reason, long n) {
    if (n > 0) {
      droppedSpanLinks.labelValues(reason).inc(n);
    }
  }

  public double droppedSpanLinks(String reason) {
    return droppedSpanLinks.labelValues(reason).get();
  }

  /** {@code reason}: the Envoy access-log type of an intermediate entry, e.g. {@code DownstreamPeriodic}. */
  public void skippedAccessLogs(String signal, String reason, long n) {
    if (n > 0) {
      skippedAccessLogs.labelValues(signal, reason).inc(n);
    }
  }

  public double skippedAccessLogs(String signal, String reason) {
    return skippedAccessLogs.labelValues(signal, reason).get();
  }

  /** {@code reason}: {@code invalid}. */
  public void droppedTraceIds(String signal, String reason, long n) {
    if (n > 0) {
      droppedTraceIds.labelValues(signal, reason).inc(n);
    }
  }

  public double droppedTraceIds(String signal, String reason) {
    return droppedTraceIds.labelValues(signal, reason).get();
  }

  public double value(String signal, String outcome) {
    return records.labelValues(signal, outcome).get();
  }

  public void bytesIn(String signal, long n) {
    bytesIn.labelValues(signal).inc(n);
  }

  public void bytesOut(String topic, long n) {
    bytesOut.labelValues(topic).inc(n);
  }

  public void sendLatency(double seconds) {
    sendSeconds.observe(seconds);
  }

  public void inflight(long bytes, long budget) {
    inflightBytes.set(bytes);
    inflightBudgetBytes.set(budget);
  }

  public void spool(long bytes) {
    spoolBytes.set(bytes);
  }

  public void kafkaAvailable(boolean up) {
    kafkaAvailable.set(up ? 1 : 0);
  }
}
