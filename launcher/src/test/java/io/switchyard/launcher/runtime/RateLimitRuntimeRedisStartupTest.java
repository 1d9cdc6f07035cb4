package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.storage.RedisStartup;
import io.switchyard.ratelimit.storage.StorageOptions;
import io.switchyard.testing.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ratelimit}/{@code up} with {@code --storage redis} and no Redis listening (a port nobody uses). */
class RateLimitRuntimeRedisStartupTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream lines = new ByteArrayOutputStream();
  private final URI nowhere = URI.create("redis://127.0.0.1:" + FreePorts.next());

  private Path config() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), "domain: d\n");
    return dir;
  }

  @Test
  void unreachableRedisStartsTheServiceWithAWaitingLineNamingRedis() throws Exception {
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      var server = RateLimitRuntime.start(p, config(), "127.0.0.1", 0, null,
          StorageOptions.redis(nowhere, Duration.ofMillis(200)), LimiterOptions.defaults(), false);
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("switchyard: ratelimit      waiting grpc 127.0.0.1:"
          + server.port() + " (redis counters, 1 domain(s) from " + dir + "); not ready: Redis at " + nowhere
          + " does not answer: ").doesNotContain("ratelimit      ready");
      assertThat(p.readiness().snapshot().get("ratelimit")).startsWith("Redis at " + nowhere + " does not answer: ");
      assertThat(p.exitCode()).isZero();
    }
  }

  @Test
  void redisNotAnsweringWithinTheStartupLimitFailsTheProcessWithExitCode1() throws Exception {
    SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8));
    StorageOptions storage = StorageOptions.redis(nowhere, Duration.ofMillis(200))
        .withRedisStartup(new RedisStartup(Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofMillis(100)));
    RateLimitRuntime.start(p, config(), "127.0.0.1", 0, null, storage, LimiterOptions.defaults(), false);

    p.awaitShutdown(Duration.ZERO); // returns once the service gives up on Redis

    assertThat(p.exitCode()).isEqualTo(1);
    assertThat(lines.toString(StandardCharsets.UTF_8))
        .contains("switchyard: ratelimit      failed Redis at " + nowhere + " did not answer within 100 ms of start")
        .contains("switchyard: stopped");
  }
}
