package io.switchyard.flinkjobs.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BrokerCheckTest {
  @Test
  void aNameThatDoesNotResolveIsReportedNamingTheOptionAndTheAddress() {
    assertThat(BrokerCheck.unreachable("broker-1.invalid:9092", Duration.ofSeconds(2)))
        .hasValueSatisfying(reason -> assertThat(reason)
            .contains("broker-1.invalid:9092").contains("--kafka").contains("No resolvable bootstrap urls")
            .doesNotContain("\n"));
  }

  @Test
  void aPortNobodyListensOnIsReportedOnceTheWaitIsOver() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    assertThat(BrokerCheck.unreachable("127.0.0.1:" + port, Duration.ofSeconds(1)))
        .hasValueSatisfying(reason -> assertThat(reason)
            .isEqualTo("cannot reach Kafka at 127.0.0.1:" + port + " (--kafka) within 1 s (--kafka-wait): no broker answered"));
  }
}
