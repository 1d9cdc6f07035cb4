package io.switchyard.flinkjobs.serde;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.switchyard.flinkjobs.graph.TraceSpans;
import io.switchyard.flinkjobs.graph.TraceSpansTypeInfo;
import java.io.IOException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads a span record's head only (trace id, kind, end time) straight from its protobuf wire bytes
 * and passes the bytes on untouched: the pairing operator parses each span once, after the shuffle.
 * A copy ingest wrote of a consumer span for a trace it links to ({@code linked_trace_id}) is batched
 * under that trace.
 * Spans that can never bridge services (INTERNAL, unspecified kind) stop here, before they cost a
 * network hop. A record whose head does not decode (or a tombstone) is skipped and counted, as
 * {@link ProtoRecordDeserializer} does; one whose body turns out malformed is counted by the pairing.
 */
public final class RawSpanDeserializer implements KafkaRecordDeserializationSchema<TraceSpans> {
  private static final long serialVersionUID = 1L;
  // SpanRecord field numbers (model/src/main/proto/switchyard/model/v1/span.proto).
  private static final int TRACE_ID = 2;
  private static final int KIND = 7;
  private static final int END_TIME = 10;
  /** Set on ingest's copies of a consumer span that links to spans of another trace: that trace, the copy's key. */
  private static final int LINKED_TRACE_ID = 37;
  private static final int SERVER = 2;
  private static final int CLIENT = 3;
  private static final int PRODUCER = 4;
  private static final int CONSUMER = 5;
  private static final byte[] NO_TRACE = new byte[0];

  private transient Counter malformed;

  @Override
  public void open(DeserializationSchema.InitializationContext context) {
    malformed = context.getMetricGroup().counter("malformed_records");
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<TraceSpans> out) {
    byte[] value = record.value();
    if (value == null) {
      return;
    }
    TraceSpans span = read(value);
    if (span == null) {
      if (malformed != null) {
        malformed.inc();
      }
    } else if (span.size() > 0) {
      out.collect(span);
    }
  }

  /**
   * The span as a one-span batch; an empty batch when its kind never bridges services; null when
   * the head does not decode. Protobuf's own rules apply: a field with an unexpected wire type is
   * an unknown field, the last occurrence of a field wins.
   */
  static TraceSpans read(byte[] value) {
    // The common case in one pass over the bytes; whatever the cursor cannot judge exactly goes to
    // protobuf's reader, which gives the answer this method always gave.
    // The trace id stays where it is in the record (the batch points at it): no copy per span.
    WireCursor in = new WireCursor(value);
    int traceFrom = 0;
    int traceLength = 0;
    int linkedFrom = 0;
    int linkedLength = -1;
    int kind = 0;
    long end = 0;
    while (in.more()) {
      int tag = in.tag();
      if (tag == (TRACE_ID << 3 | WireCursor.LENGTH_DELIMITED)) {
        traceLength = in.length();
        traceFrom = in.position();
        in.skip(traceLength);
      } else if (tag == (LINKED_TRACE_ID << 3 | WireCursor.LENGTH_DELIMITED)) {
        linkedLength = in.length();
        linkedFrom = in.position();
        in.skip(linkedLength);
      } else if (tag == (KIND << 3 | WireCursor.VARINT)) {
        kind = (int) in.varint();
      } else if (tag == (END_TIME << 3 | WireCursor.FIXED64)) {
        end = in.fixed64();
      } else {
        in.skipValue(tag);
      }
    }
    if (in.failed()) {
      return readWithProtobuf(value);
    }
    if (linkedLength > 0) { // a link copy pairs in the trace it links to (an empty id is protobuf's absent field)
      traceFrom = linkedFrom;
      traceLength = linkedLength;
    }
    return bridges(kind) ? TraceSpans.ofRecord(value, traceFrom, traceLength, end / 1_000_000) : TraceSpans.empty();
  }

  /** {@link #read} by protobuf's own reader. */
  static TraceSpans readWithProtobuf(byte[] value) {
    byte[] trace = NO_TRACE;
    byte[] linked = NO_TRACE;
    int kind = 0;
    long end = 0;
    try {
      CodedInputStream in = CodedInputStream.newInstance(value);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        int field = WireFormat.getTagFieldNumber(tag);
        int wire = WireFormat.getTagWireType(tag);
        if (field == TRACE_ID && wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          trace = in.readByteArray();
        } else if (field == LINKED_TRACE_ID && wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          linked = in.readByteArray();
        } else if (field == KIND && wire == WireFormat.WIRETYPE_VARINT) {
          kind = in.readEnum();
        } else if (field == END_TIME && wire == WireFormat.WIRETYPE_FIXED64) {
          end = in.readFixed64();
        } else if (!in.skipField(tag)) {
          break; // end-group tag: not part of a valid SpanRecord, let the full parse decide
        }
      }
    } catch (IOException e) {
      return null;
    }
    return batch(linked.length > 0 ? linked : trace, kind, end, value);
  }

  private static TraceSpans batch(byte[] trace, int kind, long end, byte[] value) {
    return bridges(kind) ? TraceSpans.of(trace, value, end / 1_000_000) : TraceSpans.empty();
  }

  /** Whether a span of this kind can bridge services. */
  private static boolean bridges(int kind) {
    return kind == SERVER || kind == CLIENT || kind == PRODUCER || kind == CONSUMER;
  }

  @Override
  public TypeInformation<TraceSpans> getProducedType() {
    return TraceSpansTypeInfo.INSTANCE;
  }
}
