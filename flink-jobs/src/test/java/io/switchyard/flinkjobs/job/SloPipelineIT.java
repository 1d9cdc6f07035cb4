package io.switchyard.flinkjobs.job;

import static io.switchyard.flinkjobs.graph.Spans.span;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchyard.flinkjobs.slo.spec.OpenSloParser;
import io.switchyard.flinkjobs.slo.spec.SloFixtures;
import io.switchyard.flinkjobs.slo.spec.SloPublisher;
import io.switchyard.flinkjobs.graph.Spans;
import io.switchyard.model.Topics;
import io.switchyard.model.v1.SloAlertRecord;
import io.switchyard.model.v1.SloStatusRecord;
import io.switchyard.model.v1.SpanRecord;
import io.switchyard.model.v1.SpanRecord.SpanKind;
import io.switchyard.model.v1.SpanRecord.StatusCode;
import io.switchyard.testing.FreePorts;
import io.switchyard.testing.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live (unbounded) job: two SLOs on the same service published through the compacted topic, 70
 * minutes of event-time traffic with a 5-minute error burst, and the alert transitions coming out of
 * the alerts topic: firing, then resolving. The Occurrences SLO follows the hand-computed series in
 * SloFunctionTest; the Timeslices one sees the burst as one bad 5-minute slice.
 */
class SloPipelineIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();
  private static final long T0 = 1_767_225_600_000L;
  private static final Path SLO_FOLDER = Path.of("slo-it");
  private static final String SLO = SloFixtures.CHECKOUT_AVAILABILITY;
  private static final String TIMESLICES_SLO = SLO.replace("checkout-availability", "checkout-slices")
      .replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices")
      .replace("objectives: [{target: 0.999}]", "objectives: [{target: 0.999, timeSliceTarget: 0.9, timeSliceWindow: 5m}]");

  /** Targets a service nothing calls: it has no events, and must still be listed. */
  private static final String TYPO_SLO = SLO.replace("checkout-availability", "checkout-typo").replace("service: checkout", "service: checkuot");

  @TempDir Path dataDir;

  @Test
  void burnAlertsFireAndResolveFromALiveJob() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    String definitions = prefix + Topics.SLO_DEFINITIONS.name();
    SloPublisher.Outcome published = new SloPublisher(kafka.bootstrapServers(), definitions, Clock.systemUTC())
        .publish(OpenSloParser.parseAll(Map.of("checkout.yaml", SLO, "slices.yaml", TIMESLICES_SLO, "typo.yaml", TYPO_SLO)),
            SLO_FOLDER, SloPublisher.Prune.FOLDER);
    assertThat(published.published()).containsExactlyInAnyOrder("checkout-availability", "checkout-slices", "checkout-typo");

    JobOptions o = JobOptions.parse(new String[] {"--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--data-dir", dataDir.toString(), "--metrics-port", "-1", "--checkpoint-interval", "1s", "--restart-attempts", "0", "--group-id", "it-slo",
        "--out-of-orderness", "1s", "--parallelism", "1"});
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SwitchyardPipeline.flinkConfiguration(o));
    SwitchyardPipeline.build(env, o);
    JobClient job = env.executeAsync("slo-it");
    try {
      // The definition is in broadcast state once a checkpoint has committed its offset.
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        await().atMost(Duration.ofSeconds(120)).until(() -> admin.listConsumerGroupOffsets("it-slo-slo-definitions")
            .partitionsToOffsetAndMetadata().get().values().stream().mapToLong(m -> m == null ? 0 : m.offset()).sum() >= 3);
      }
      try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
        long trace = 1;
        // Minute 71's traffic completes minute 70, as the next minute of a live service would.
        for (int m = 1; m <= 71; m++) {
          for (int j = 0; j < 100; j++) {
            boolean error = m >= 61 && m <= 65 && j < 20;
            SpanRecord.Builder s = span(trace++, 1, 0, "checkout", SpanKind.SPAN_KIND_SERVER, T0 + (m - 1) * 60_000L + j * 500L, 10);
            if (error) {
              s.setStatus(StatusCode.STATUS_CODE_ERROR);
            }
            send(p, prefix, s.build());
          }
        }
        // Traffic elsewhere two minutes later moves event time past minute 71.
        for (int j = 0; j < 12; j++) {
          send(p, prefix, span(trace++, 1, 0, "ticker", SpanKind.SPAN_KIND_SERVER, T0 + 72 * 60_000L + j * 1_000L, 1).build());
        }
        p.flush();
      }

      List<SloAlertRecord> alerts = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : kafka.consume(prefix + Topics.SLO_ALERTS.name(), 10, Duration.ofSeconds(180))) {
        alerts.add(SloAlertRecord.parseFrom(r.value()));
      }
      String diagnosis = "job " + job.getJobStatus().get() + ", edges " + TopicReader.readAll(kafka, prefix + Topics.EDGES.name()).size()
          + ", services " + TopicReader.readAll(kafka, prefix + Topics.SERVICES.name()).size()
          + ", status " + TopicReader.readAll(kafka, prefix + Topics.SLO_STATUS.name()).size() + ", accumulators "
          + job.getAccumulators().get();
      assertThat(alerts).as(diagnosis).extracting(a -> a.getSlo() + " " + a.getAlert().getName()
          + (a.getAlert().getFiring() ? " fired @" : " resolved @") + (a.getTransitionUnixMs() - T0) / 60_000)
          .containsExactlyInAnyOrder("checkout-availability ticket-1d fired @61", "checkout-availability ticket-3d fired @61",
              "checkout-availability page-6h fired @62", "checkout-availability page-1h fired @65",
              "checkout-availability page-1h resolved @70",
              // Minutes 61-65 are the slice ending at 65: 400 / 500 good < 0.9, bad. Of a 30-day window's 8640
              // slices the budget is 8.64; at 65 one bad slice burns (1/12)/0.001 = 83 in 1h, 1000 in 5m, 13.9 in 6h,
              // 167 in 30m, 3.5 in 1d, 42 in 2h, 1.16 in 3d: every alert fires at once. The slice
              // ending at 70 is good, so the 5m window (one slice) clears page-1h; the others hold the bad slice.
              "checkout-slices page-1h fired @65", "checkout-slices page-6h fired @65", "checkout-slices ticket-1d fired @65",
              "checkout-slices ticket-3d fired @65", "checkout-slices page-1h resolved @70");

      SloStatusRecord at70 = null;
      SloStatusRecord slicesAt70 = null;
      for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafka, prefix + Topics.SLO_STATUS.name())) {
        SloStatusRecord s = SloStatusRecord.parseFrom(r.value());
        if (s.getEvaluatedAtUnixMs() == T0 + 70 * 60_000L) {
          if (s.getName().equals("checkout-slices")) {
            slicesAt70 = s;
          } else {
            at70 = s;
          }
        }
      }
      assertThat(at70).isNotNull();
      assertThat(at70.getTotalEvents()).isEqualTo(7000);
      assertThat(at70.getGoodEvents()).isEqualTo(6900);
      assertThat(slicesAt70).isNotNull();
      assertThat(slicesAt70.getBudgetingMethod()).isEqualTo("Timeslices");
      assertThat(slicesAt70.getTotalSlices()).isEqualTo(8640);
      assertThat(slicesAt70.getGoodSlices()).isEqualTo(8639);
      assertThat(slicesAt70.getSli()).isEqualTo(8639.0 / 8640);

      // The SLO without traffic is listed with no events; removing it writes the status topic's tombstone.
      assertThat(TopicReader.readAll(kafka, prefix + Topics.SLO_STATUS.name())).anySatisfy(r -> {
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("checkout-typo");
        assertThat(SloStatusRecord.parseFrom(r.value()).getTotalEvents()).isZero();
      });
      new SloPublisher(kafka.bootstrapServers(), definitions, Clock.systemUTC())
          .publish(OpenSloParser.parseAll(Map.of("checkout.yaml", SLO, "slices.yaml", TIMESLICES_SLO)), SLO_FOLDER,
              SloPublisher.Prune.FOLDER);
      await().atMost(Duration.ofSeconds(60)).until(() -> TopicReader.readAll(kafka, prefix + Topics.SLO_STATUS.name()).stream()
          .anyMatch(r -> new String(r.key(), StandardCharsets.UTF_8).equals("checkout-typo") && r.value() == null));
    } finally {
      job.cancel().get();
    }
  }

  /**
   * A burst of live traffic after the job has sat idle, then nothing: event time goes on with the clock
   * once the partitions fall quiet, so the burst's window closes and the SLO evaluates it by its timer.
   * Before, the quiet inputs stopped event time (the window never closed), and the definitions input's
   * +inf became the SLO operator's watermark for good once the samples input was idle.
   */
  @Test
  void aBurstAfterAnIdleSpellIsAggregatedAndEvaluatedWithoutLaterTraffic() throws Exception {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    String quietSlo = SLO.replace("checkout-availability", "quiet-availability").replace("service: checkout", "service: quiet")
        .replace("objectives: [{target: 0.999}]", "objectives: [{target: 0.9}]");
    new SloPublisher(kafka.bootstrapServers(), prefix + Topics.SLO_DEFINITIONS.name(), Clock.systemUTC())
        .publish(OpenSloParser.parseAll(Map.of("quiet.yaml", quietSlo)), SLO_FOLDER, SloPublisher.Prune.FOLDER);
    int port = FreePorts.next();
    JobOptions o = JobOptions.parse(new String[] {"--kafka", kafka.bootstrapServers(), "--topic-prefix", prefix,
        "--data-dir", dataDir.toString(), "--metrics-port", Integer.toString(port), "--checkpoint-interval", "1s",
        "--restart-attempts", "0", "--group-id", "it-quiet", "--out-of-orderness", "1s", "--idleness", "1s",
        "--window", "5s", "--parallelism", "1"});
    JobClient job = LiveJobs.start(o, Map.of(), "quiet-it");
    try {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        await().atMost(Duration.ofSeconds(120)).until(() -> admin.listConsumerGroupOffsets("it-quiet-slo-definitions")
            .partitionsToOffsetAndMetadata().get().values().stream().mapToLong(m -> m == null ? 0 : m.offset()).sum() >= 1);
      }
      // The span source has read nothing for three idleness timeouts: every input of the SLO operator but
      // the definitions has gone idle.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> FreshnessMetricsIT.scrape(port).stream()
          .anyMatch(m -> m.name().equals("flink_taskmanager_job_task_operator_sourceIdleTime")
              && m.labels().matches(".*operator_name=\"Source[^\"]*spans\".*") && m.value() >= 3_000));

      long now = System.currentTimeMillis();
      try (KafkaProducer<byte[], byte[]> p = kafka.producer()) {
        for (int j = 0; j < 20; j++) {
          // Five idleness timeouts old when ingest appends them, as spans a collector held for tail sampling:
          // still read live, so event time goes on after them.
          SpanRecord.Builder s = span(9_000 + j, 1, 0, "quiet", SpanKind.SPAN_KIND_SERVER, now - 5_000, 10);
          if (j < 4) {
            s.setStatus(StatusCode.STATUS_CODE_ERROR);
          }
          send(p, prefix, s.build());
        }
        p.flush();
      }

      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        List<SloStatusRecord> evaluated = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafka, prefix + Topics.SLO_STATUS.name())) {
          evaluated.add(SloStatusRecord.parseFrom(r.value()));
        }
        assertThat(evaluated).as("status records of quiet-availability")
            .anySatisfy(st -> {
              assertThat(st.getName()).isEqualTo("quiet-availability");
              assertThat(st.getTotalEvents()).isEqualTo(20);
              assertThat(st.getGoodEvents()).isEqualTo(16);
            });
      });
    } finally {
      job.cancel().get();
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> p, String prefix, SpanRecord s) {
    p.send(new ProducerRecord<>(prefix + Topics.SPANS.name(), Spans.hex(s.getTraceId()).getBytes(StandardCharsets.UTF_8), s.toByteArray()));
  }
}
