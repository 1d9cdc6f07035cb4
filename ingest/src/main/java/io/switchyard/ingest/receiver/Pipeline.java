package io.switchyard.ingest.receiver;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.switchyard.ingest.IngestMetrics;
import io.switchyard.ingest.kafka.KafkaPublisher;
import io.switchyard.ingest.mapping.AlsMapper;
import io.switchyard.ingest.mapping.Hex;
import io.switchyard.ingest.mapping.LinkCopies;
import io.switchyard.ingest.mapping.MappedBatch;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.mapping.OtlpAccessLogMapper;
import io.switchyard.ingest.mapping.SpanMapper;
import io.switchyard.ingest.mapping.WireSpanMapper;
import io.switchyard.ingest.spool.Spool;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.AccessLogRecord;
import io.switchyard.model.v1.SpanRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Map, key and publish, shared by every transport. OTLP batches are published as a whole or refused as a whole,
 * so a client retry never half-duplicates a request; ALS entries fall back to the spool instead of being refused.
 */
public final class Pipeline {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);
  static final String SPANS = "spans";
  static final String LOGS = "logs";
  static final String ALS = "als";
  /**
   * The largest record value ingest sends. Above it the producer (max.request.size) or the broker (the topics'
   * max.message.bytes) refuses the record, a failure that retrying cannot mend: such an item is rejected in the
   * partial success instead, so that one span with huge resource attributes is neither retried forever nor taken for
   * Kafka being away. 64 KiB below the limit leaves room for the batch's framing and a compressor's worst case.
   */
  static final int MAX_RECORD_BYTES = Topics.MAX_MESSAGE_BYTES - (64 << 10);

  /**
   * What became of an OTLP export: refused now, or published (future = Kafka's acknowledgement). {@code error}
   * names the first rejected item's problem, or (with nothing rejected) warns that items were truncated to the
   * attribute limits: OTLP's partial success carries such warnings with a rejected count of 0.
   */
  record Export(KafkaPublisher.Refusal refusal, CompletableFuture<Void> acked, long rejected, String error) {
    /** Whether the answer carries a partial_success (rejections or a warning). */
    boolean partial() {
      return rejected > 0 || !error.isEmpty();
    }
  }

  private final SpanMapper spanMapper;
  private final WireSpanMapper wireSpanMapper;
  private final OtlpAccessLogMapper logMapper;
  private final AlsMapper alsMapper;
  private final KafkaPublisher publisher;
  private final Spool spool;
  private final String spansTopic;
  private final String accessLogsTopic;
  private final IngestMetrics metrics;
  private final LongSupplier unixNanos;

  public Pipeline(SpanMapper spanMapper, OtlpAccessLogMapper logMapper, AlsMapper alsMapper, KafkaPublisher publisher,
      Spool spool, String spansTopic, String accessLogsTopic, IngestMetrics metrics, LongSupplier unixNanos) {
    this.spanMapper = spanMapper;
    this.wireSpanMapper = new WireSpanMapper(spanMapper.options());
    this.logMapper = logMapper;
    this.alsMapper = alsMapper;
    this.publisher = publisher;
    this.spool = spool;
    this.spansTopic = spansTopic;
    this.accessLogsTopic = accessLogsTopic;
    this.metrics = metrics;
    this.unixNanos = unixNanos;
  }

  KafkaPublisher publisher() {
    return publisher;
  }

  /** A request refused before it was parsed, because too many were waiting for a worker. */
  void queueFull(String signal) {
    metrics.refusedRequest(signal, "queue_full");
  }

  Export traces(ExportTraceServiceRequest request, long payloadBytes) {
    MappedBatch<SpanRecord> batch = spanMapper.map(request, unixNanos.getAsLong());
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(batch.records().size());
    List<WireSpanMapper.Encoded> copies = new ArrayList<>(0);
    int oversized = 0;
    for (SpanRecord r : batch.records()) {
      byte[] value = r.toByteArray();
      if (value.length > MAX_RECORD_BYTES) {
        oversized++; // and its link copies, which carry the same bytes
        continue;
      }
      records.add(new ProducerRecord<>(spansTopic, Hex.encodeAscii(r.getTraceId()), value));
      if (r.getLinksCount() > 0) {
        copies.clear();
        LinkCopies.add(r, value, copies);
        for (WireSpanMapper.Encoded c : copies) {
          records.add(new ProducerRecord<>(spansTopic, c.key(), c.value()));
        }
      }
    }
    return publish(SPANS, "spans", records, batch.records().size() - oversized, batch, oversized, payloadBytes);
  }

  /**
   * A protobuf request body mapped from its wire bytes ({@link WireSpanMapper}), skipping the generated objects.
   *
   * @throws InvalidProtocolBufferException when the body is not an {@code ExportTraceServiceRequest}
   */
  Export traces(byte[] request) throws InvalidProtocolBufferException {
    MappedBatch<WireSpanMapper.Encoded> batch = wireSpanMapper.map(request, unixNanos.getAsLong());
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(batch.records().size());
    int spans = 0;
    int oversized = 0;
    for (WireSpanMapper.Encoded r : batch.records()) {
      if (r.value().length > MAX_RECORD_BYTES) {
        oversized += r.linkCopy() ? 0 : 1;
        continue;
      }
      records.add(new ProducerRecord<>(spansTopic, r.key(), r.value()));
      spans += r.linkCopy() ? 0 : 1;
    }
    return publish(SPANS, "spans", records, spans, batch, oversized, request.length);
  }

  Export logs(ExportLogsServiceRequest request, long payloadBytes) {
    MappedBatch<AccessLogRecord> batch = logMapper.map(request, unixNanos.getAsLong());
    ignored(LOGS, batch);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(batch.records().size());
    int oversized = 0;
    for (AccessLogRecord r : batch.records()) {
      ProducerRecord<byte[], byte[]> record = accessLog(r);
      if (record.value().length > MAX_RECORD_BYTES) {
        oversized++;
        continue;
      }
      records.add(record);
    }
    return publish(LOGS, "log records", records, records.size(), batch, oversized, payloadBytes);
  }

  /** Publishes the records of {@code count} items (a span's link copies are records of the same item). */
  private Export publish(String signal, String items, List<ProducerRecord<byte[], byte[]>> records, int count,
      MappedBatch<?> batch, int oversized, long payloadBytes) {
    metrics.bytesIn(signal, payloadBytes);
    long rejected = batch.rejected() + oversized;
    metrics.count(signal, "rejected", rejected);
    String error = batch.firstError();
    if (oversized > 0 && error.isEmpty()) {
      error = oversized + " " + items + " encoded larger than Kafka's record limit of " + MAX_RECORD_BYTES
          + " bytes (mostly resource attributes) and were rejected";
    }
    if (batch.truncated() > 0 && error.isEmpty()) {
      MappingOptions limits = spanMapper.options();
      error = batch.truncated() + " " + items + " exceeded the attribute limits (" + limits.maxAttributes()
          + " attributes, values of " + limits.maxValueLength() + " characters) and were truncated";
    }
    KafkaPublisher.Submission s = publisher.publish(records);
    if (!s.accepted()) {
      metrics.count(signal, "refused", count);
      return new Export(s.refusal(), null, rejected, error);
    }
    int n = count;
    long truncated = batch.truncated();
    long linksOverLimit = batch.linksOverLimit();
    long linksInvalid = batch.linksInvalid();
    long traceIdsInvalid = batch.traceIdsInvalid();
    CompletableFuture<Void> counted = s.acked().whenComplete((v, e) -> {
      metrics.count(signal, e == null ? "accepted" : "refused", n);
      // Like truncated, about accepted records only: a refused batch is sent again and would count its links twice.
      if (e == null) {
        metrics.count(signal, "truncated", truncated);
        metrics.droppedSpanLinks("over_limit", linksOverLimit);
        metrics.droppedSpanLinks("invalid", linksInvalid);
        metrics.droppedTraceIds(signal, "invalid", traceIdsInvalid);
      }
    });
    return new Export(null, counted, rejected, error);
  }

  /** Ignored items, and among them Envoy's intermediate access-log entries by reason. */
  private void ignored(String signal, MappedBatch<?> batch) {
    metrics.count(signal, "ignored", batch.ignored());
    batch.skipped().forEach((reason, n) -> metrics.skippedAccessLogs(signal, reason, n));
  }

  AlsMapper.Stream newAlsStream() {
    return alsMapper.newStream();
  }

  /** Never pushes back: publishes when Kafka takes it and nothing is spooled ahead of it, else spools. */
  void accessLogs(AlsMapper.Stream stream, StreamAccessLogsMessage message) {
    metrics.bytesIn(ALS, message.getSerializedSize());
    MappedBatch<AccessLogRecord> batch = stream.map(message, unixNanos.getAsLong());
    ignored(ALS, batch);
    // At mapping: an ALS entry is mapped once, whether it is then sent, spooled or dropped.
    metrics.droppedTraceIds(ALS, "invalid", batch.traceIdsInvalid());
    if (batch.records().isEmpty()) {
      return;
    }
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(batch.records().size());
    long bytes = 0;
    for (AccessLogRecord r : batch.records()) {
      ProducerRecord<byte[], byte[]> pr = accessLog(r);
      records.add(pr);
      bytes += pr.key().length + pr.value().length;
    }
    if (spool.isEmpty() && publisher.wouldRefuse(bytes) == null) {
      KafkaPublisher.Submission s = publisher.publish(records);
      if (s.accepted()) {
        s.acked().whenComplete((v, e) -> {
          if (e == null) {
            metrics.count(ALS, "accepted", records.size());
          } else {
            // Not acknowledged: Kafka may or may not have them. Spooling may duplicate, never lose.
            toSpool(records);
          }
        });
        return;
      }
    }
    toSpool(records);
  }

  private void toSpool(List<ProducerRecord<byte[], byte[]>> records) {
    long spooled = 0;
    long dropped = 0;
    for (ProducerRecord<byte[], byte[]> r : records) {
      try {
        if (spool.append(encode(r))) {
          spooled++;
        } else {
          dropped++;
        }
      } catch (IOException e) {
        log.error("ALS spool write failed; entry dropped", e);
        dropped++;
      }
    }
    metrics.count(ALS, "spooled", spooled);
    metrics.count(ALS, "dropped", dropped);
    metrics.spool(spool.bytes());
  }

  /** Replays spooled entries through the publisher; null when it refuses them now. */
  public CompletableFuture<Void> replay(List<byte[]> entries) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(entries.size());
    for (byte[] e : entries) {
      records.add(decode(e));
    }
    KafkaPublisher.Submission s = publisher.publish(records);
    return s.accepted() ? s.acked() : null;
  }

  public void replayed(long n) {
    metrics.count(ALS, "replayed", n);
    metrics.spool(spool.bytes());
  }

  private ProducerRecord<byte[], byte[]> accessLog(AccessLogRecord r) {
    return new ProducerRecord<>(accessLogsTopic, AlsMapper.key(r).getBytes(StandardCharsets.UTF_8), r.toByteArray());
  }

  static byte[] encode(ProducerRecord<byte[], byte[]> r) {
    ByteBuffer b = ByteBuffer.allocate(4 + r.key().length + r.value().length);
    b.putInt(r.key().length).put(r.key()).put(r.value());
    return b.array();
  }

  private ProducerRecord<byte[], byte[]> decode(byte[] entry) {
    ByteBuffer b = ByteBuffer.wrap(entry);
    byte[] key = new byte[b.getInt()];
    b.get(key);
    byte[] value = new byte[b.remaining()];
    b.get(value);
    return new ProducerRecord<>(accessLogsTopic, key, value);
  }
}
