package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URL;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.xml.XmlConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import io.switchyard.ingest.kafka.BrokerReachability;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CLI's log4j2.xml: the embedded broker's warning at every stop is dropped, the client's other warnings shown. */
class CliLoggingTest {
  private static final String CLIENT = "org.apache.kafka.clients.NetworkClient";
  /** Read on its own, not installed: the tests' own logging stays as it is. Fresh per test: it counts bursts. */
  private XmlConfiguration config;

  @BeforeEach
  void load() throws Exception {
    URL xml = CliLoggingTest.class.getResource("/log4j2.xml");
    try (InputStream in = xml.openStream()) {
      config = new XmlConfiguration(new LoggerContext("cli-logging-test"), new ConfigurationSource(in, xml));
    }
    config.initialize();
  }

  @AfterEach
  void stop() {
    config.stop();
  }

  private boolean shown(String logger, Level level, String message) {
    Log4jLogEvent event = Log4jLogEvent.newBuilder().setLoggerName(logger).setLevel(level)
        .setMessage(new SimpleMessage(message)).build();
    return config.getLoggerConfig(logger).getLevel().isLessSpecificThan(level)
        && !config.getLoggerConfig(logger).isFiltered(event);
  }

  @Test
  void theSecondCloseOfTheControllerChannelsClientIsNotShown() {
    assertThat(shown(CLIENT, Level.WARN, "[NodeToControllerChannelManager id=1 name=registration] Attempting to close "
        + "NetworkClient that has already been closed.")).isFalse();
  }

  @Test
  void otherClientWarningsStillShowAndItsInfoDoesNot() {
    assertThat(shown(CLIENT, Level.WARN, "[Consumer clientId=c, groupId=g] Connection to node 1 (/127.0.0.1:9092) could not "
        + "be established. Node may not be available.")).isTrue();
    assertThat(shown(CLIENT, Level.INFO, "[Consumer clientId=c, groupId=g] Disconnecting from node 1")).isFalse();
  }

  @Test
  void topicsCreatesProbeConnectionFailuresAreNotShownAboveItsOneLine() {
    // README: topics create exits 1 "with one line when no broker answers within --kafka-wait"; the admin
    // client's retries printed a warning each above it.
    assertThat(shown(CLIENT, Level.WARN, "[AdminClient clientId=" + TopicsCommand.PROBE_CLIENT_ID + "] Connection to node -1 "
        + "(/127.0.0.1:9) could not be established. Node may not be available.")).isFalse();
    assertThat(shown(CLIENT, Level.WARN, "[AdminClient clientId=" + TopicsCommand.PROBE_CLIENT_ID + "] Bootstrap broker "
        + "127.0.0.1:9 (id: -1 rack: null isFenced: false) disconnected")).isFalse();
    assertThat(shown(CLIENT, Level.WARN, "[AdminClient clientId=adminclient-1] Connection to node -1 "
        + "(/127.0.0.1:9) could not be established. Node may not be available.")).isTrue();
  }

  @Test
  void ingestsReadinessCheckConnectionFailuresAreNotShownItLogsTheChangeItself() {
    // BrokerReachability logs one line when Kafka stops answering and one when it answers again; its admin client
    // retried every second with a warning each.
    assertThat(shown(CLIENT, Level.WARN, "[AdminClient clientId=" + BrokerReachability.CLIENT_ID + "] Connection to "
        + "node -1 (/127.0.0.1:9) could not be established. Node may not be available.")).isFalse();
  }

  @Test
  void aClientRetryingAnAbsentBrokerShowsItsFirstWarningsThenNoMoreThanTwoAMinute() {
    String refused = "[Producer clientId=switchyard-ingest] Connection to node -1 (/127.0.0.1:9) could not be established."
        + " Node may not be available.";
    String disconnected = "[Producer clientId=switchyard-ingest] Bootstrap broker 127.0.0.1:9 (id: -1 rack: null "
        + "isFenced: false) disconnected";
    // A producer retries about once a second, two lines each time: before, two warnings a second for as long as
    // the broker was away.
    long shownOfSixty = IntStream.range(0, 60)
        .filter(i -> shown(CLIENT, Level.WARN, i % 2 == 0 ? refused : disconnected)).count();
    assertThat(shownOfSixty).isEqualTo(2);
    // Other warnings of the client are not held back by the burst.
    assertThat(shown(CLIENT, Level.WARN, "[Producer clientId=switchyard-ingest] Error while fetching metadata with "
        + "correlation id 7 : {switchyard.spans=UNKNOWN_TOPIC_OR_PARTITION}")).isTrue();
  }
}
