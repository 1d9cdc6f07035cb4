package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.storage.StorageOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ratelimit}/{@code up} with the reference's HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED and no domain yet. */
class RateLimitRuntimeConfigHealthTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream lines = new ByteArrayOutputStream();

  @Test
  void anEmptyFolderPrintsAWaitingLineAndTheReadyLineOnceADomainLoads() throws Exception {
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      var server = RateLimitRuntime.start(p, dir, "127.0.0.1", 0, null, StorageOptions.memory(), LimiterOptions.defaults(),
          false, true);
      String address = "grpc 127.0.0.1:" + server.port() + " (memory counters, %d domain(s) from " + dir + ")";
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("switchyard: ratelimit      waiting " + address.formatted(0)
          + "; not ready: no rate limit domain loaded from " + dir + " (healthy with at least one config loaded); "
          + "NOT_SERVING until one loads").doesNotContain("ratelimit      ready");

      Files.writeString(dir.resolve("d.yaml"), "domain: d\n");
      assertThat(server.reloadNow()).isTrue();
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("switchyard: ratelimit      ready  " + address.formatted(1));
      assertThat(p.readiness().snapshot().get("ratelimit")).isEqualTo("ready");
    }
  }

  @Test
  void withoutTheSettingAnEmptyFolderIsReadyAtOnce() throws Exception {
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      var server = RateLimitRuntime.start(p, dir, "127.0.0.1", 0, null, StorageOptions.memory(), LimiterOptions.defaults(),
          false, false);
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("switchyard: ratelimit      ready  grpc 127.0.0.1:"
          + server.port() + " (memory counters, 0 domain(s) from " + dir + ")");
      assertThat(p.readiness().snapshot().get("ratelimit")).isEqualTo("ready");
    }
  }
}
