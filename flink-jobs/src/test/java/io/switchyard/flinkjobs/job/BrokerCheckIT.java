package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.testing.SharedKafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BrokerCheckIT {
  @RegisterExtension static final SharedKafka kafka = new SharedKafka();

  private static JobOptions options(String... more) {
    String[] base = {"--kafka", kafka.bootstrapServers(), "--kafka-wait", "20s"};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return JobOptions.parse(all);
  }

  @Test
  void aBrokerWithTheJobsTopicsAndItsTransactionTimeoutIsUsable() {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    assertThat(BrokerCheck.unusable(options("--topic-prefix", prefix))).isEmpty();
    assertThat(BrokerCheck.unusable(options("--topic-prefix", prefix, "--transaction-timeout", "15m"))).isEmpty();
  }

  @Test
  void topicsThatWereNeverCreatedAreNamedWithTheCommandThatCreatesThem() {
    String prefix = kafka.uniquePrefix();
    String bootstrap = kafka.bootstrapServers();
    assertThat(BrokerCheck.unusable(options("--topic-prefix", prefix))).hasValue("topics not found on the broker at " + bootstrap
        + " (--kafka): " + String.join(", ", BrokerCheck.jobTopics(options("--topic-prefix", prefix)))
        + " (create them with switchyard topics create --kafka " + bootstrap + " --topic-prefix " + prefix
        + ", or check --topic-prefix)");
  }

  @Test
  void aTransactionTimeoutAboveTheBrokersMaximumIsRefusedNamingBoth() {
    String prefix = kafka.uniquePrefix();
    kafka.createTopics(prefix);
    assertThat(BrokerCheck.unusable(options("--topic-prefix", prefix, "--transaction-timeout", "20m")))
        .hasValue("--transaction-timeout 20m is above the broker's transaction.max.timeout.ms (15m): the sinks could not"
            + " open a transaction; lower it, or raise the broker's setting");
  }
}
