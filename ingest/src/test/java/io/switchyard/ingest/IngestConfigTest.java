package io.switchyard.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class IngestConfigTest {
  final IngestConfig base = IngestConfig.defaults("127.0.0.1:9092", Path.of("data"));

  @Test
  void defaultsUseTheStandardPortsAndLz4() {
    assertThat(base.otlpGrpcPort()).isEqualTo(4317);
    assertThat(base.otlpHttpPort()).isEqualTo(4318);
    assertThat(base.alsPort()).isEqualTo(9001);
    assertThat(base.compression()).isEqualTo("lz4");
    assertThat(base.mapping().keepAttributes()).isFalse();
    assertThat(base.topicPrefix()).isEmpty();
  }

  @Test
  void theDefaultRequestLimitIsTheCollectorsOtlpHttp20MiB() {
    // The Collector's confighttp max_request_body_size: every request a Collector's OTLP receiver takes, ingest takes;
    // a lower limit would refuse some for good (413). (OTLP recommends 64 MiB; see IngestConfig.DEFAULT_MAX_MESSAGE_MB.)
    assertThat(base.maxMessageBytes()).isEqualTo(20 * 1024 * 1024);
  }

  @Test
  void invalidValuesAreRejectedNamingTheSetting() {
    assertThatThrownBy(() -> base.withCompression("brotli")).hasMessageContaining("compression");
    assertThatThrownBy(() -> base.withPorts(70000, 0, 0)).hasMessageContaining("port out of range: 70000");
    assertThatThrownBy(() -> base.withFlowControl(base.publisher(), 10)).hasMessageContaining("spoolMaxBytes");
    assertThatThrownBy(() -> base.withSecurity(null, " ")).hasMessageContaining("bearer token");
    assertThatThrownBy(() -> base.withMaxMessageBytes(10)).hasMessageContaining("maxMessageBytes");
    assertThatThrownBy(() -> base.withMaxQueuedRequests(0)).hasMessageContaining("maxQueuedRequests");
  }
}
