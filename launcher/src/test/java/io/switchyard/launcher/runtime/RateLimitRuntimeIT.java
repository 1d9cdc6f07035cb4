package io.switchyard.launcher.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.ratelimit.limiter.LimiterOptions;
import io.switchyard.ratelimit.server.RateLimitServer;
import io.switchyard.ratelimit.storage.StorageOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service as the launcher starts it: the shipped example config, routes on the shared admin port. */
class RateLimitRuntimeIT {
  @Test
  void startsWithTheExampleConfigAndServesJsonOnTheAdminPort() throws Exception {
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      RateLimitServer server = RateLimitRuntime.start(p, Path.of("../config/ratelimit"), "127.0.0.1", 0, null,
          StorageOptions.memory(), LimiterOptions.defaults(), false);
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("ratelimit").contains("1 domain(s)");
      String body = "{\"domain\":\"edge\",\"descriptors\":[{\"entries\":[{\"key\":\"plan\",\"value\":\"blocked\"}]}]}";
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + p.admin().port() + "/json")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(429);
      assertThat(server.port()).isPositive();
    }
  }

  @Test
  void rocksdbStorageAsUpConfiguresItKeepsCountsAcrossARestart(@TempDir Path dir) throws Exception {
    Path config = Files.createDirectories(dir.resolve("config/ratelimit"));
    Files.writeString(config.resolve("api.yaml"), """
        domain: api
        descriptors:
          - key: user
            rate_limit: {unit: day, requests_per_unit: 2}
        """);
    RateLimitRuntime.Setup setup = new RateLimitRuntime.Setup(StorageOptions.rocksdb(dir.resolve("data/ratelimit")),
        LimiterOptions.defaults());
    String body = "{\"domain\":\"api\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"u1\"}]}]}";
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      RateLimitRuntime.start(p, config, "127.0.0.1", 0, null, setup.storage(), setup.options(), false);
      assertThat(lines.toString(StandardCharsets.UTF_8)).contains("rocksdb counters");
      assertThat(json(p, body).statusCode()).isEqualTo(200);
      assertThat(json(p, body).statusCode()).isEqualTo(200);
    }
    assertThat(dir.resolve("data/ratelimit")).isDirectory();
    try (SwitchyardProcess p = SwitchyardProcess.start("127.0.0.1", 0, null, new PrintStream(lines, true, StandardCharsets.UTF_8))) {
      RateLimitRuntime.start(p, config, "127.0.0.1", 0, null, setup.storage(), setup.options(), false);
      assertThat(json(p, body).statusCode()).isEqualTo(429);
    }
  }

  private static HttpResponse<String> json(SwitchyardProcess p, String body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + p.admin().port() + "/json")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
