package io.switchyard.ingest.receiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.switchyard.ingest.mapping.MappingOptions;
import io.switchyard.ingest.spool.Spool;
import io.switchyard.model.v1.AccessLogRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's access-log entries are taken as they arrive (Envoy reads no answer), so an entry sent to Kafka and not yet
 * acknowledged when ingest stops must be in the spool on disk, and delivered at the next start.
 */
class AlsStopDuringKafkaOutageTest {
  @TempDir Path dir;

  @Test
  void anEntryKafkaHasNotAcknowledgedWhenIngestStopsIsSpooledAtOnceAndDeliveredAtTheNextStart() throws Exception {
    try (MockKafkaPipeline running = MockKafkaPipeline.acknowledgedByTest(dir)) {
      MockKafkaPipeline.RawAlsCall call = MockKafkaPipeline.rawAlsCall(
          running.grpc(new AlsGrpcService(running.pipeline)), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
      call.messages().onNext(AlsGrpcServiceTest.valid("in-flight"));
      call.messages().onCompleted();
      call.answered().get(10, TimeUnit.SECONDS);
      assertThat(running.producer.history()).as("sent straight to Kafka, which does not answer").hasSize(1);
      assertThat(running.spool.isEmpty()).isTrue();

      // The stop: the producer's close gives up on Kafka, long before the batch's ack timeout (a minute here).
      running.publisher.close();

      assertThat(running.spool.peek(10)).as("spooled as the producer closed").hasSize(1);
    }

    try (MockKafkaPipeline next = new MockKafkaPipeline(dir, true, 1 << 20, MappingOptions.DEFAULTS)) {
      // What the spool replayer sends at the next start (SpoolReplayerTest: in order, committed once acknowledged).
      List<byte[]> spooled = next.spool.peek(10).stream().map(Spool.Entry::data).toList();
      next.pipeline.replay(spooled).get(10, TimeUnit.SECONDS);

      assertThat(next.producer.history()).hasSize(1);
      assertThat(AccessLogRecord.parseFrom(next.producer.history().get(0).value()).getRequestId()).isEqualTo("in-flight");
    }
  }
}
