package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.ratelimit.storage.RedisStartup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RateLimitCommandTest {
  @TempDir Path dir;

  @Test
  void validateAcceptsTheShippedExampleFolder() {
    Path example = Path.of("../config/ratelimit");
    CliRun r = run("ratelimit", "validate", example.toString());
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).contains("valid: 1 domain(s) [edge]");
  }

  @Test
  void validateAcceptsTheDemoFolder() {
    CliRun r = run("ratelimit", "validate", "../config/demo/ratelimit");
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).contains("[storefront]");
  }

  @Test
  void validateRejectsABrokenFolderWithFileAndLine() throws Exception {
    Files.writeString(dir.resolve("bad.yaml"), "domain: d\ndescriptors:\n  - key: a\n    rate_limit: {unit: weekly, requests_per_unit: 1}\n");
    CliRun r = run("ratelimit", "validate", dir.toString());
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err.strip()).isEqualTo("invalid: " + dir.resolve("bad.yaml") + ":4:24: invalid rate limit unit 'weekly'");
  }

  @Test
  void redisHealthFollowsTheConnectionOnlyWithItsFlag() {
    RateLimitCommand off = new RateLimitCommand();
    new CommandLine(off).parseArgs("--config-dir", dir.toString(), "--storage", "redis");
    assertThat(off.options.storageOptions().redisHealthCheckActiveConnection()).isFalse();

    RateLimitCommand on = new RateLimitCommand();
    new CommandLine(on).parseArgs("--config-dir", dir.toString(), "--storage", "redis",
        "--redis-health-check-active-connection");
    assertThat(on.options.storageOptions().redisHealthCheckActiveConnection()).isTrue();
  }

  @Test
  void healthWaitsForADomainOnlyWithItsFlag() {
    RateLimitCommand off = new RateLimitCommand();
    new CommandLine(off).parseArgs("--config-dir", dir.toString());
    assertThat(off.options.healthyWithAtLeastOneConfigLoaded).isFalse();

    RateLimitCommand on = new RateLimitCommand();
    new CommandLine(on).parseArgs("--config-dir", dir.toString(), "--healthy-with-at-least-one-config-loaded");
    assertThat(on.options.healthyWithAtLeastOneConfigLoaded).isTrue();
  }

  @Test
  void redisStartupBackoffIntervalsReachTheStorageAndDefaultToTheReferences() {
    RateLimitCommand defaults = new RateLimitCommand();
    new CommandLine(defaults).parseArgs("--config-dir", dir.toString(), "--storage", "redis");
    assertThat(defaults.options.storageOptions().redisStartup()).isEqualTo(RedisStartup.defaults());

    RateLimitCommand set = new RateLimitCommand();
    new CommandLine(set).parseArgs("--config-dir", dir.toString(), "--storage", "redis",
        "--redis-startup-initial-interval-ms", "250", "--redis-startup-max-interval-ms", "5000");
    assertThat(set.options.storageOptions().redisStartup())
        .isEqualTo(new RedisStartup(Duration.ofMillis(250), Duration.ofSeconds(5), Duration.ZERO));
  }

  @Test
  void badRedisStartupBackoffIntervalsAreOneLineUsageErrorsNamingTheFlag() throws Exception {
    Files.writeString(dir.resolve("ok.yaml"), "domain: d\n");
    CliRun zero = run("ratelimit", "--config-dir", dir.toString(), "--storage", "redis",
        "--redis-startup-initial-interval-ms", "0", "--admin-port", "0");
    assertThat(zero.code).isEqualTo(2);
    assertThat(zero.err.strip()).isEqualTo("switchyard: --redis-startup-initial-interval-ms must be more than 0, not 0");
    CliRun below = run("ratelimit", "--config-dir", dir.toString(), "--storage", "redis",
        "--redis-startup-initial-interval-ms", "2000", "--redis-startup-max-interval-ms", "1000", "--admin-port", "0");
    assertThat(below.code).isEqualTo(2);
    assertThat(below.err.strip()).isEqualTo("switchyard: --redis-startup-max-interval-ms must be at least "
        + "--redis-startup-initial-interval-ms (2000), not 1000");
  }

  @Test
  void customHeaderNamesReachTheLimiterAndKeepTheStylesOthers() {
    RateLimitOptions o = new RateLimitOptions();
    o.responseHeaders = "ratelimit";
    o.limitHeader = "X-Quota-Limit";
    o.resetHeader = "X-Quota-Reset";
    var limiter = o.limiterOptions();
    assertThat(limiter.limitHeaderName()).isEqualTo("X-Quota-Limit");
    assertThat(limiter.remainingHeaderName()).isEqualTo("RateLimit-Remaining");
    assertThat(limiter.resetHeaderName()).isEqualTo("X-Quota-Reset");
  }

  @Test
  void aBadHeaderNameIsAOneLineUsageErrorNamingItsFlag() throws Exception {
    Files.writeString(dir.resolve("ok.yaml"), "domain: d\n");
    CliRun r = run("ratelimit", "--config-dir", dir.toString(), "--response-headers", "ratelimit", "--remaining-header",
        "Left:Over", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).startsWith("switchyard: --remaining-header: 'Left:Over' is not an HTTP header name");
    CliRun same = run("ratelimit", "--config-dir", dir.toString(), "--response-headers", "ratelimit", "--reset-header",
        "ratelimit-limit", "--admin-port", "0");
    assertThat(same.code).isEqualTo(2);
    assertThat(same.err.strip()).isEqualTo("switchyard: --reset-header: 'ratelimit-limit' is already the limit header name");
    CliRun off = run("ratelimit", "--config-dir", dir.toString(), "--limit-header", "X-Quota", "--admin-port", "0");
    assertThat(off.code).isEqualTo(2);
    assertThat(off.err.strip()).contains("which is none");
  }

  @Test
  void badStorageFlagIsAOneLineUsageError() throws Exception {
    Files.writeString(dir.resolve("ok.yaml"), "domain: d\n");
    CliRun r = run("ratelimit", "--config-dir", dir.toString(), "--storage", "disk", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo("switchyard: --storage must be memory, rocksdb or redis, not 'disk'");
  }

  @Test
  void aRedisUrlThatCanNeverWorkIsAOneLineUsageErrorNamingTheFlag() throws Exception {
    Files.writeString(dir.resolve("ok.yaml"), "domain: d\n");
    CliRun r = run("ratelimit", "--config-dir", dir.toString(), "--storage", "redis", "--redis-url",
        "http://127.0.0.1:6379", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).startsWith("switchyard: --redis-url: not a Redis URL").contains("'http://127.0.0.1:6379'")
        .doesNotContain("\n");
  }

  @Test
  void aNegativeRedisStartupLimitIsAUsageError() throws Exception {
    Files.writeString(dir.resolve("ok.yaml"), "domain: d\n");
    CliRun r = run("ratelimit", "--config-dir", dir.toString(), "--storage", "redis", "--redis-startup-max-elapsed-ms",
        "-1", "--admin-port", "0");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip())
        .isEqualTo("switchyard: --redis-startup-max-elapsed-ms must be 0 (keep trying) or more, not -1");
  }
}
