package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URL;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.xml.XmlConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local jar's log4j2.xml: the warnings every start prints with nothing wrong are dropped, no others. */
class LocalJarLoggingTest {
  /**
   * Read on its own, not installed: the tests' own logging stays as it is. One per test: the burst filter counts what
   * each test logs.
   */
  static XmlConfiguration config;

  @BeforeEach
  void load() throws Exception {
    URL xml = LocalJarLoggingTest.class.getResource("/log4j2.xml");
    try (InputStream in = xml.openStream()) {
      config = new XmlConfiguration(new LoggerContext("local-jar-logging-test"), new ConfigurationSource(in, xml));
    }
    config.initialize();
  }

  @AfterEach
  void stop() {
    config.stop();
  }

  static boolean shown(String logger, String message) {
    Log4jLogEvent event = Log4jLogEvent.newBuilder().setLoggerName(logger).setLevel(Level.WARN)
        .setMessage(new SimpleMessage(message)).build();
    return !config.getLoggerConfig(logger).isFiltered(event);
  }

  @Test
  void theSinksKnownMetricNameCollisionsAreDroppedAndOthersShown() {
    String group = "org.apache.flink.metrics.MetricGroup";
    assertThat(shown(group, "Name collision: Group already contains a Metric with the name 'currentSendTime'. Metric will not be "
        + "reported.[, taskmanager, fcd9ac49, switchyard, edges-sink: Writer, 0]")).isFalse();
    assertThat(shown(group, "Name collision: Group already contains a Metric with the name 'pendingCommittables'. Metric will "
        + "not be reported.[, taskmanager, fcd9ac49, switchyard, edges-sink: Committer, 0]")).isFalse();
    assertThat(shown(group, "Name collision: Group already contains a Metric with the name 'outcome.paired.spans'. Metric will "
        + "not be reported.[, taskmanager, fcd9ac49, switchyard, service-graph, 0]")).isTrue();
  }

  @Test
  void startWarningsAboutWhatALocalRunDoesNotUseAreDropped() {
    assertThat(shown("org.apache.flink.runtime.security.token.DefaultDelegationTokenManager",
        "No tokens obtained so skipping notifications")).isFalse();
    assertThat(shown("org.apache.flink.runtime.security.token.DefaultDelegationTokenManager",
        "Tokens update task not started because either no tokens obtained or none of the tokens specified its renewal date"))
        .isFalse();
    assertThat(shown("org.apache.flink.runtime.webmonitor.WebMonitorUtils",
        "Log file environment variable 'log.file' is not set.")).isFalse();
    assertThat(shown("org.apache.flink.runtime.webmonitor.WebMonitorUtils", "JobManager log files are unavailable in the web "
        + "dashboard. Log file location not found in environment variable 'log.file' or configuration key 'web.log.path'.")).isFalse();
    assertThat(shown("org.apache.flink.runtime.metrics.util.MetricUtils", "The operator name Source: spans -> span-batches -> "
        + "service-graph -> cardinality-limit -> edge-timestamps -> (edge-partials, service-partials) exceeded the 80 characters "
        + "length limit and was truncated.")).isFalse();
  }

  @Test
  void otherWarningsOfThoseClassesStillShow() {
    assertThat(shown("org.apache.flink.runtime.security.token.DefaultDelegationTokenManager",
        "Failed to obtain delegation tokens")).isTrue();
    assertThat(shown("org.apache.flink.runtime.metrics.util.MetricUtils", "Could not register Metaspace metrics.")).isTrue();
    assertThat(shown("org.apache.flink.runtime.webmonitor.WebMonitorUtils", "Something else went wrong.")).isTrue();
  }

  @Test
  void theBrokerProbesConnectionFailuresAreNotShownAboveTheOneLineTheyEndIn() {
    // An unreachable --kafka: the start check and `slo apply` say so in one line; the client's retries printed
    // a warning per attempt above it (a screenful over 30 s).
    String client = "org.apache.kafka.clients.NetworkClient";
    assertThat(shown(client, "[AdminClient clientId=" + BrokerCheck.PROBE_CLIENT_ID + "] Connection to node -1 (/127.0.0.1:9) "
        + "could not be established. Node may not be available.")).isFalse();
    assertThat(shown(client, "[Consumer clientId=" + io.switchyard.flinkjobs.slo.spec.SloPublisher.PROBE_CLIENT_ID
        + ", groupId=null] Connection to node -1 (/127.0.0.1:9092) could not be established. Node may not be available.")).isFalse();
    assertThat(shown(client, "[Consumer clientId=" + io.switchyard.flinkjobs.slo.spec.SloPublisher.PROBE_CLIENT_ID
        + ", groupId=null] Bootstrap broker 127.0.0.1:9092 (id: -1 rack: null isFenced: false) disconnected")).isFalse();
  }

  @Test
  void theRunningJobsClientsStillShowTheirConnectionFailures() {
    String client = "org.apache.kafka.clients.NetworkClient";
    assertThat(shown(client, "[Consumer clientId=spans-source-0, groupId=switchyard-flink-jobs] Connection to node 1 "
        + "(/127.0.0.1:9092) could not be established. Node may not be available.")).isTrue();
    assertThat(shown(client, "[AdminClient clientId=" + BrokerCheck.PROBE_CLIENT_ID + "] Cancelled in-flight METADATA request "
        + "with correlation id 3 due to node -1 being disconnected")).isTrue();
  }

  @Test
  void aJobClientRetryingAnAbsentBrokerShowsItsFirstWarningsThenNoMoreThanTwoAMinute() {
    String client = "org.apache.kafka.clients.NetworkClient";
    String refused = "[Producer clientId=producer-switchyard-flink-edges-0-20, transactionalId=switchyard-flink-edges-0-20] "
        + "Connection to node -1 (/127.0.0.1:9092) could not be established. Node may not be available.";
    String disconnected = "[Consumer clientId=switchyard-flink-spans-0, groupId=switchyard-flink] Bootstrap broker "
        + "127.0.0.1:9092 (id: -1 rack: null isFenced: false) disconnected";
    // The job's twenty-odd producers and consumers retry a broker that went away about once a second each: before,
    // some twenty warnings a second (over 800 in a 40 s outage of `switchyard flink-jobs`) buried every other line.
    long shownOfSixty = IntStream.range(0, 60).filter(i -> shown(client, i % 2 == 0 ? refused : disconnected)).count();
    assertThat(shownOfSixty).isEqualTo(2);
    // Other warnings of the clients are not held back by the burst.
    assertThat(shown(client, "[Producer clientId=producer-switchyard-flink-edges-0-20] Error while fetching metadata with "
        + "correlation id 7 : {switchyard.edges=UNKNOWN_TOPIC_OR_PARTITION}")).isTrue();
  }
}
