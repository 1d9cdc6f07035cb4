package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.switchyard.ingest.mapping.MappingOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A span whose record would be larger than Kafka takes (kept attributes under a raised value limit) is rejected in
 * the partial success, and the request's other spans are published: sent on, it failed its whole request every time
 * the client retried it, and until then ingest took that failure for Kafka being away.
 */
class OversizedRecordTest {
  @TempDir Path dir;
  MockKafkaPipeline kafka;

  @BeforeEach
  void start() throws Exception {
    // Values kept up to 16 MiB, so one span can make a record over the limit; a budget that holds such a record.
    kafka = new MockKafkaPipeline(dir, true, 64 << 20, new MappingOptions(true, 128, 16 << 20));
  }

  @AfterEach
  void stop() throws Exception {
    kafka.close();
  }

  private static Span span(int id, String attributeValue) {
    return Span.newBuilder()
        .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
        .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) id}))
        .setKind(Span.SpanKind.SPAN_KIND_SERVER).setName("GET /").setStartTimeUnixNano(1_000).setEndTimeUnixNano(2_000)
        .addAttributes(KeyValue.newBuilder().setKey("note").setValue(AnyValue.newBuilder().setStringValue(attributeValue)))
        .build();
  }

  @Test
  void aSpanLargerThanKafkasRecordLimitIsRejectedAndTheOthersArePublished() throws Exception {
    String huge = "x".repeat(Pipeline.MAX_RECORD_BYTES + 1);
    byte[] request = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
            .setValue(AnyValue.newBuilder().setStringValue("shop"))))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span(1, "small")).addSpans(span(2, huge)))).build().toByteArray();

    Pipeline.Export export = kafka.pipeline.traces(request);

    assertThat(export.refusal()).isNull();
    export.acked().get();
    assertThat(export.rejected()).isEqualTo(1);
    assertThat(export.error()).contains("record limit of " + Pipeline.MAX_RECORD_BYTES + " bytes");
    assertThat(kafka.producer.history()).hasSize(1);
    assertThat(kafka.producer.history().get(0).value().length).isLessThan(1024);
  }
}
