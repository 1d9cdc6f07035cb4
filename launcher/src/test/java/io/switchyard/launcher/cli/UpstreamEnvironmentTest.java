package io.switchyard.launcher.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** envoyproxy/ratelimit's environment settings, which Switchyard does not read: each one set is named, not ignored. */
class UpstreamEnvironmentTest {
  @TempDir Path dir;

  @Test
  void aSettingWithAFlagNamesTheFlag() {
    assertThat(UpstreamEnvironment.warnings(Map.of("REDIS_URL", "redis:6379")))
        .containsExactly("REDIS_URL is set, but Switchyard reads no envoyproxy/ratelimit setting from the environment: "
            + "use --redis-url");
  }

  @Test
  void aSettingWithoutCounterpartSaysSo() {
    assertThat(UpstreamEnvironment.warnings(Map.of("REDIS_TYPE", "SENTINEL")))
        .containsExactly("REDIS_TYPE is set, but Switchyard reads no envoyproxy/ratelimit setting from the environment: "
            + "no counterpart (one Redis server: no Sentinel or Cluster)");
  }

  @Test
  void settingsOfAFamilyAreNamedByPrefixInNameOrder() {
    assertThat(UpstreamEnvironment.warnings(Map.of("MEMCACHE_HOST_PORT", "m:11211", "CONFIG_GRPC_XDS_SERVER_URL", "x:18000")))
        .extracting(w -> w.substring(0, w.indexOf(' ')))
        .containsExactly("CONFIG_GRPC_XDS_SERVER_URL", "MEMCACHE_HOST_PORT");
  }

  @Test
  void genericAndUnrelatedVariablesAreNotNamed() {
    assertThat(UpstreamEnvironment.warnings(Map.of("PORT", "8080", "HOST", "x", "LOG_LEVEL", "debug", "PATH", "/bin",
        "REDIS_URLS", "x"))).isEmpty();
  }

  @Test
  void theRateLimitCommandPrintsEachBeforeStarting() {
    RateLimitCommand cmd = new RateLimitCommand();
    cmd.environment = Map.of("SHADOW_MODE", "true");
    CommandLine cl = new CommandLine(cmd);
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setExecutionExceptionHandler((e, c, p) -> 2);
    cl.execute("--config-dir", dir.resolve("missing").toString());
    assertThat(err.toString()).contains("switchyard: ratelimit      warning: SHADOW_MODE is set, but Switchyard reads no "
        + "envoyproxy/ratelimit setting from the environment: use --shadow-mode");
  }
}
