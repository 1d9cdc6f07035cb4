package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.model.Topics;
import io.switchyard.testing.SharedKafka;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TopicsCommandIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  @Test
  void spanTopicTakesARecordAsLargeAsIngestsProducerSends() throws Exception {
    String prefix = kafka.uniquePrefix();
    CliRun r = run("topics", "create", "--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix);
    assertThat(r.code).as(r.err).isZero();

    // 2 MiB of incompressible bytes: over the broker's default message.max.bytes (1 MiB), under the
    // max.request.size ingest's producer allows, so a span with large resource attributes fits.
    byte[] value = new byte[2 << 20];
    new Random(7).nextBytes(value);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_MESSAGE_BYTES), new ByteArraySerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(prefix + Topics.SPANS.name(), "trace".getBytes(), value)).get(60, TimeUnit.SECONDS);
    }
  }
}
