package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.launcher.Main;
import io.switchyard.launcher.runtime.RateLimitRuntime;
import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.storage.RedisStartup;
import io.switchyard.ratelimit.storage.StorageOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class UpCommandTest {
  @TempDir Path dir;

  private static RateLimitRuntime.Setup setup(Path data, String... args) {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs(args);
    return up.ratelimit.setup(data);
  }

  @Test
  void ratelimitDefaultsToMemoryCounters() {
    RateLimitRuntime.Setup s = setup(dir);
    assertThat(s.storage().kind()).isEqualTo(StorageOptions.Kind.MEMORY);
    assertThat(s.options().onBackendError()).isEqualTo(LimiterOptions.BackendErrorPolicy.ALLOW);
  }

  @Test
  void rocksdbCountersLiveUnderTheDataFolder() {
    RateLimitRuntime.Setup s = setup(dir, "--ratelimit-storage", "rocksdb", "--ratelimit-max-keys", "5000");
    assertThat(s.storage().kind()).isEqualTo(StorageOptions.Kind.ROCKSDB);
    assertThat(s.storage().dataDir()).isEqualTo(dir.resolve("ratelimit"));
    assertThat(s.storage().maxKeys()).isEqualTo(5000);
  }

  @Test
  void redisFlagsReachTheStorageAndTheBackendErrorPolicy() {
    RateLimitRuntime.Setup s = setup(dir, "--ratelimit-storage", "redis", "--ratelimit-redis-url", "redis://10.0.0.7:6380",
        "--ratelimit-redis-timeout-ms", "20", "--ratelimit-on-backend-error", "deny");
    assertThat(s.storage().kind()).isEqualTo(StorageOptions.Kind.REDIS);
    assertThat(s.storage().redisUri()).isEqualTo(URI.create("redis://10.0.0.7:6380"));
    assertThat(s.storage().redisTimeout()).isEqualTo(Duration.ofMillis(20));
    assertThat(s.options().onBackendError()).isEqualTo(LimiterOptions.BackendErrorPolicy.DENY);
  }

  @Test
  void redisStartupLimitReachesTheStorageAndDefaultsToRetryingForEver() {
    assertThat(setup(dir, "--ratelimit-storage", "redis").storage().redisStartup().maxElapsed()).isZero();
    assertThat(setup(dir, "--ratelimit-storage", "redis", "--ratelimit-redis-startup-max-elapsed-ms", "60000")
        .storage().redisStartup().maxElapsed()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void redisStartupBackoffIntervalsReachTheStorage() {
    assertThat(setup(dir, "--ratelimit-storage", "redis", "--ratelimit-redis-startup-initial-interval-ms", "100",
        "--ratelimit-redis-startup-max-interval-ms", "400").storage().redisStartup())
        .isEqualTo(new RedisStartup(Duration.ofMillis(100), Duration.ofMillis(400), Duration.ZERO));
  }

  @Test
  void aBadRedisStartupIntervalNamesUpsFlag() {
    assertThatThrownBy(() -> setup(dir, "--ratelimit-redis-startup-initial-interval-ms", "-5"))
        .hasMessage("--ratelimit-redis-startup-initial-interval-ms must be more than 0, not -5");
  }

  @Test
  void redisHealthFollowsTheConnectionOnlyWithUpsFlag() {
    assertThat(setup(dir, "--ratelimit-storage", "redis").storage().redisHealthCheckActiveConnection()).isFalse();
    assertThat(setup(dir, "--ratelimit-storage", "redis", "--ratelimit-redis-health-check-active-connection")
        .storage().redisHealthCheckActiveConnection()).isTrue();
  }

  @Test
  void healthWaitsForADomainOnlyWithUpsFlag() {
    assertThat(setup(dir).healthyWithAtLeastOneConfigLoaded()).isFalse();
    assertThat(setup(dir, "--ratelimit-healthy-with-at-least-one-config-loaded").healthyWithAtLeastOneConfigLoaded())
        .isTrue();
  }

  @Test
  void aBadRedisUrlNamesUpsFlag() {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    int code = cl.execute("up", "--data-dir", dir.resolve("data").toString(), "--config-dir", dir.toString(),
        "--ratelimit-storage", "redis", "--ratelimit-redis-url", "ftp://redis:6379", "--no-flink", "--admin-port", "0");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip()).startsWith("switchyard: --ratelimit-redis-url: not a Redis URL");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void badRateLimitStorageIsAOneLineUsageErrorBeforeAnythingStarts() {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    int code = cl.execute("up", "--data-dir", dir.resolve("data").toString(), "--config-dir", dir.toString(),
        "--ratelimit-storage", "disk", "--no-flink", "--admin-port", "0");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo("switchyard: --ratelimit-storage must be memory, rocksdb or redis, not 'disk'");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void demoJwksPortZeroIsAUsageErrorBecauseExtAuthzMustKnowThePortBeforeTheDemoStarts() {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    int code = cl.execute("up", "--data-dir", dir.resolve("data").toString(), "--config-dir", dir.toString(),
        "--demo", "--jwks-port", "0", "--no-flink", "--admin-port", "0");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip()).isEqualTo("switchyard: --jwks-port must be 1..65535, got 0");
  }
}
