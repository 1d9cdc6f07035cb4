package io.switchyard.bench.flink;

import com.google.protobuf.ByteString;
import io.switchyard.kafkaembedded.EmbeddedKafka;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Spans per second through the whole Flink topology (pairing, windows, SLO, exactly-once sinks) on
 * the local MiniCluster jar, against the raw single-consumer read rate of the same pre-filled span
 * topic in the same run (what kafka-consumer-perf-test measures: poll, no processing).
 *
 * <p>The job runs as a child JVM with {@code --bounded}; its fixed cost (JVM + MiniCluster start,
 * final checkpoint) is measured with an almost empty topic and subtracted. CPU time of the child comes
 * from /usr/bin/time. Usage: {@code FlinkServiceGraphBench LOCAL_JAR [REQUESTS]} (a request = a CLIENT
 * and a SERVER span).
 */
public final class FlinkServiceGraphBench {
  private static final HexFormat HEX = HexFormat.of();

  private FlinkServiceGraphBench() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "flink-jobs/target/switchyard-flink-local.jar").toAbsolutePath();
    int requests = args.length > 1 ? Integer.parseInt(args[1]) : 500_000;
    Path dir = Files.createTempDirectory("flink-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).port(0).controllerPort(0).build().start()) {
      kafka.createTopics(Topics.all("warm."));
      kafka.createTopics(Topics.all("bench."));
      fill(kafka.bootstrapServers(), "warm.", 10);
      long spans = fill(kafka.bootstrapServers(), "bench.", requests);

      double rawSeconds = rawRead(kafka.bootstrapServers(), "bench." + Topics.SPANS.name(), spans);
      Run fixed = runJob(jar, kafka.bootstrapServers(), "warm.", dir.resolve("warm"));
      Run full = runJob(jar, kafka.bootstrapServers(), "bench.", dir.resolve("bench"));
      double jobSeconds = full.wallSeconds - fixed.wallSeconds;
      double cpuSeconds = full.cpuSeconds - fixed.cpuSeconds;
      System.out.printf("spans in topic           %d (%d requests)%n", spans, requests);
      System.out.printf("raw consumer read        %.0f spans/s (%.2f s)%n", spans / rawSeconds, rawSeconds);
      System.out.printf("flink job, fixed cost    %.2f s wall, %.2f s CPU (10 requests)%n", fixed.wallSeconds, fixed.cpuSeconds);
      System.out.printf("flink job, full          %.2f s wall, %.2f s CPU%n", full.wallSeconds, full.cpuSeconds);
      System.out.printf("flink job throughput     %.0f spans/s (%.0f requests/s)%n", spans / jobSeconds, requests / jobSeconds);
      System.out.printf("ratio to raw read        %.1f %%%n", 100 * rawSeconds / jobSeconds);
      System.out.printf("CPU per 1000 requests/s  %.3f vCPU (Mixer: 0.6)%n", cpuSeconds / requests * 1000);
    }
  }

  private static ByteString id(long v, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(bytes);
    b.position(bytes - 8);
    b.putLong(v);
    return ByteString.copyFrom(b.array());
  }

  /** Writes CLIENT + SERVER span pairs over 50 services, 1,000 requests per event-time second. */
  private static long fill(String bootstrap, String prefix, int requests) throws Exception {
    String topic = prefix + Topics.SPANS.name();
    long t0 = 1_767_225_600_000L;
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262_144, ProducerConfig.ACKS_CONFIG, "1",
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < requests; i++) {
        ByteString trace = id(i + 1, 16);
        byte[] key = HEX.formatHex(trace.toByteArray()).getBytes(StandardCharsets.UTF_8);
        long start = (t0 + i) * 1_000_000L;
        String client = "svc-" + (i % 50);
        String server = "svc-" + ((i * 7 + 3) % 50);
        SpanRecord c = SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(trace).setSpanId(id(1, 8)).setServiceName(client)
            .setKind(SpanKind.SPAN_KIND_CLIENT).setStartTimeUnixNano(start).setEndTimeUnixNano(start + 5_000_000)
            .setSamplingProbability(1).setHttpStatusCode(200).build();
        SpanRecord s = SpanRecord.newBuilder().setSchemaVersion(1).setTraceId(trace).setSpanId(id(2, 8)).setParentSpanId(id(1, 8))
            .setServiceName(server).setKind(SpanKind.SPAN_KIND_SERVER).setStartTimeUnixNano(start + 500_000)
            .setEndTimeUnixNano(start + 4_500_000).setSamplingProbability(1).setHttpStatusCode(200).build();
        p.send(new ProducerRecord<>(topic, key, c.toByteArray()));
        p.send(new ProducerRecord<>(topic, key, s.toByteArray()));
      }
      p.flush();
    }
    return 2L * requests;
  }

  private static double rawRead(String bootstrap, String topic, long expected) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "raw-read", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long seen = 0;
      long start = 0;
      while (seen < expected) {
        int n = c.poll(Duration.ofMillis(500)).count();
        if (n > 0 && start == 0) {
          start = System.nanoTime(); // from the first record: group join is not read rate
        }
        seen += n;
      }
      return (System.nanoTime() - start) / 1e9;
    }
  }

  private record Run(double wallSeconds, double cpuSeconds) {}

  private static Run runJob(Path jar, String bootstrap, String prefix, Path data) throws IOException, InterruptedException {
    Path cpu = data.resolveSibling(prefix + "cpu.txt");
    Files.createDirectories(data);
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-f", "%U %S", "-o", cpu.toString(),
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "-XX:+UseParallelGC", "-jar", jar.toString(),
        "--kafka", bootstrap, "--topic-prefix", prefix, "--data-dir", data.toString(), "--bounded", "--parallelism", "2",
        "--group-id", "bench-" + prefix, "--restart-attempts", "0"));
    long start = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(data.resolveSibling(prefix + "log.txt").toFile()).start();
    int rc = p.waitFor();
    double wall = (System.nanoTime() - start) / 1e9;
    if (rc != 0) {
      throw new IllegalStateException("flink job exited " + rc + ", see " + data.resolveSibling(prefix + "log.txt"));
    }
    String[] f = Files.readString(cpu).trim().split("\\s+");
    return new Run(wall, Double.parseDouble(f[0]) + Double.parseDouble(f[1]));
  }
}
