package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start line of a rate limit service waiting for Redis and, with the reference's
 * HEALTHY_WITH_AT_LEAST_ONE_CONFIG_LOADED, for a domain: one ready line once both are there, whichever comes last.
 */
class RateLimitRuntimeRedisReadyLineIT {
  private static final Path REDIS = Path.of("/usr/bin/redis-server");

  @TempDir Path dir;
  private final ByteArrayOutputStream lines = new ByteArrayOutputStream();
  private final int redisPort = FreePorts.next();
  private final URI redisUri = URI.create("redis://127.0.0.1:" + redisPort);
  private Process redis;

  @BeforeEach
  void redisInstalled() {
    assumeThat(Files.isExecutable(REDIS)).as("redis-server installed").isTrue();
  }

  @AfterEach
  void stopRedis() throws Exception {
    if (redis != null) {
      redis.destroy();
      redis.waitFor();
    }
  }

  private void startRedis() throws Exception {
    redis = new ProcessBuilder(REDIS.toString(), "--port", Integer.toString(redisPort), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  private StorageOptions storage() {
    return StorageOptions.redis(redisUri, Duration.ofMillis(200))
        .withRedisStartup(new RedisStartup(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ZERO));
  }

  private String out() {
    return lines.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theReadyLineFollowsTheWaitingLineOnceRedisAnswers() throws Exception {
    Files.writeString(dir.resolve("d.yaml"), "domain: d\n");
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      var server = RateLimitRuntime.start(p, dir, "127.0.0.1", 0, null, storage(), LimiterOptions.defaults(), false);
      assertThat(out()).contains("ratelimit      waiting").doesNotContain("ratelimit      ready");
      startRedis();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> out().contains("ratelimit      ready  grpc 127.0.0.1:"
          + server.port()));
    }
  }

  @Test
  void withTheSettingTheReadyLineWaitsForBothRedisAndADomain() throws Exception {
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      var server = RateLimitRuntime.start(p, dir, "127.0.0.1", 0, null, storage(), LimiterOptions.defaults(), false, true);
      assertThat(out()).contains("not ready: Redis at " + redisUri + " does not answer: ")
          .contains("; retrying, NOT_SERVING until it answers");
      startRedis();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> p.readiness().snapshot().get("ratelimit")
          .startsWith("no rate limit domain loaded from "));
      assertThat(out()).doesNotContain("ratelimit      ready");

      Files.writeString(dir.resolve("d.yaml"), "domain: d\n");
      assertThat(server.reloadNow()).isTrue();
      assertThat(out()).containsOnlyOnce("ratelimit      ready  grpc 127.0.0.1:" + server.port());
    }
  }
}
