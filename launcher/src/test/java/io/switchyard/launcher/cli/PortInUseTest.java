package io.switchyard.launcher.cli;

import static io.switchyard.launcher.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A port another process holds fails a command at once with one line naming the port and its flag, exit code 2. */
class PortInUseTest {
  @TempDir Path dir;
  private ServerSocket held;
  private int busy;

  @BeforeEach
  void holdAPort() throws IOException {
    held = new ServerSocket(0);
    busy = held.getLocalPort();
  }

  @AfterEach
  void release() throws IOException {
    held.close();
  }

  private String inUse(String flag, String host) {
    return "switchyard: cannot listen on port " + busy + " (" + flag + ") at " + host
        + ": Address already in use; stop what holds it, or choose another port with " + flag;
  }

  @Test
  void topologyApiNamesItsPortFlagWithoutWaitingForKafka() {
    // Before the check the API first waited for the topics on this (absent) broker, then printed a bind stack trace.
    CliRun r = run("topology-api", "--port", Integer.toString(busy), "--admin-port", "0", "--data-dir", dir.toString(),
        "--kafka", "127.0.0.1:1");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo(inUse("--port", "0.0.0.0"));
    assertThat(dir.resolve("topology-store")).doesNotExist();
  }

  @Test
  void theAdminPortIsCheckedForEveryServiceCommand() {
    CliRun r = run("topology-api", "--port", "0", "--admin-port", Integer.toString(busy), "--data-dir", dir.toString());
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo(inUse("--admin-port", "127.0.0.1"));
  }

  @Test
  void ratelimitExtAuthzXdsAndIngestNameTheirPortFlags() throws IOException {
    Path mesh = Files.writeString(dir.resolve("mesh.yaml"), "services: []\n");
    String p = Integer.toString(busy);
    assertThat(run("ratelimit", "--config-dir", dir.toString(), "--port", p, "--admin-port", "0"))
        .satisfies(r -> assertThat(r.err.strip()).isEqualTo(inUse("--port", "0.0.0.0")))
        .satisfies(r -> assertThat(r.code).isEqualTo(2));
    assertThat(run("ext-authz", "--policy-dir", dir.toString(), "--port", p, "--admin-port", "0"))
        .satisfies(r -> assertThat(r.err.strip()).isEqualTo(inUse("--port", "0.0.0.0")))
        .satisfies(r -> assertThat(r.code).isEqualTo(2));
    assertThat(run("xds", "--mesh", mesh.toString(), "--port", p, "--admin-port", "0"))
        .satisfies(r -> assertThat(r.err.strip()).isEqualTo(inUse("--port", "0.0.0.0")))
        .satisfies(r -> assertThat(r.code).isEqualTo(2));
    for (String flag : List.of("--otlp-grpc-port", "--otlp-http-port", "--als-port")) {
      List<String> args = new ArrayList<>(List.of("ingest", "--data-dir", dir.toString(), "--admin-port", "0",
          "--otlp-grpc-port", "0", "--otlp-http-port", "0", "--als-port", "0"));
      args.set(args.indexOf(flag) + 1, p);
      CliRun r = run(args.toArray(String[]::new));
      assertThat(r.code).as(flag).isEqualTo(2);
      assertThat(r.err.strip()).isEqualTo(inUse(flag, "0.0.0.0"));
    }
  }

  @Test
  void theDemoNamesItsJwksPort() {
    // The JWKS server binds the --target host; nothing is sent before it is up.
    CliRun r = run("demo", "--jwks-port", Integer.toString(busy), "--demo-duration", "1");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo(inUse("--jwks-port", "127.0.0.1"));
  }

  /** {@code up} with every port free but one: fails before its data folder, broker or child exist. */
  private CliRun up(String busyFlag) throws IOException {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.createDirectories(config.resolve("ratelimit"));
    Files.createDirectories(config.resolve("authz"));
    Files.writeString(config.resolve("mesh.yaml"), "services: []\n");
    List<String> args = new ArrayList<>(List.of("up", "--data-dir", dir.resolve("data").toString(),
        "--config-dir", config.toString(), "--no-flink"));
    for (String flag : List.of("--admin-port", "--kafka-port", "--kafka-controller-port", "--ratelimit-port",
        "--ext-authz-port", "--otlp-grpc-port", "--otlp-http-port", "--als-port", "--topology-port", "--xds-port")) {
      args.addAll(List.of(flag, flag.equals(busyFlag) ? Integer.toString(busy) : "0"));
    }
    return run(args.toArray(String[]::new));
  }

  @Test
  void upNamesEachPortFlagAndStartsNothing() throws IOException {
    for (String flag : List.of("--topology-port", "--kafka-port", "--kafka-controller-port", "--ratelimit-port",
        "--ext-authz-port", "--otlp-http-port", "--xds-port")) {
      CliRun r = up(flag);
      assertThat(r.code).as(flag).isEqualTo(2);
      assertThat(r.err.strip()).isEqualTo(inUse(flag, flag.startsWith("--kafka") ? "127.0.0.1" : "0.0.0.0"));
      assertThat(dir.resolve("data")).as(flag).doesNotExist();
    }
  }

  @Test
  void aPortOutOfRangeIsNamedWithItsFlagAndUpStartsNothing() throws IOException {
    String range = " is out of range: give 1..65535, or 0 for any free port";
    CliRun r = run("up", "--data-dir", dir.resolve("data").toString(), "--config-dir", Files.createDirectories(dir.resolve("c")).toString(),
        "--no-flink", "--admin-port", "0", "--kafka-port", "0", "--kafka-controller-port", "0", "--otlp-grpc-port", "0",
        "--otlp-http-port", "0", "--als-port", "0", "--topology-port", "70000");
    // Before: "switchyard: port out of range:70000", after up had started its admin endpoint and its broker.
    assertThat(r.err.strip()).isEqualTo("switchyard: port 70000 (--topology-port)" + range);
    assertThat(r.code).isEqualTo(2);
    assertThat(dir.resolve("data")).doesNotExist();
    CliRun api = run("topology-api", "--port", "-5", "--admin-port", "0", "--data-dir", dir.toString(), "--kafka", "127.0.0.1:1");
    assertThat(api.err.strip()).isEqualTo("switchyard: port -5 (--port)" + range);
    assertThat(api.code).isEqualTo(2);
    CliRun ingest = run("ingest", "--data-dir", dir.toString(), "--admin-port", "0", "--otlp-grpc-port", "0",
        "--otlp-http-port", "0", "--als-port", "90001", "--kafka", "127.0.0.1:1");
    assertThat(ingest.err.strip()).isEqualTo("switchyard: port 90001 (--als-port)" + range);
    assertThat(ingest.code).isEqualTo(2);
  }

  /** up's ports but for the one given, all "0", the Flink child on (a jar file that exists; nothing starts). */
  private CliRun upWith(String flag, String value) throws IOException {
    Path jar = Files.writeString(dir.resolve("local.jar"), "");
    List<String> args = new ArrayList<>(List.of("up", "--data-dir", dir.resolve("data").toString(),
        "--config-dir", Files.createDirectories(dir.resolve("c")).toString(), "--flink-jar", jar.toString()));
    for (String f : List.of("--admin-port", "--kafka-port", "--kafka-controller-port", "--otlp-grpc-port", "--otlp-http-port",
        "--als-port", "--topology-port", "--flink-metrics-port")) {
      args.addAll(List.of(f, f.equals(flag) ? value : f.equals("--flink-metrics-port") ? "-1" : "0"));
    }
    return run(args.toArray(String[]::new));
  }

  @Test
  void minusOneIsRefusedWhereItDoesNotMeanOff() throws IOException {
    // Before, -1 passed the check and the server's bind failed after up had started its admin endpoint and broker.
    CliRun r = upWith("--topology-port", "-1");
    assertThat(r.err.strip()).isEqualTo("switchyard: port -1 (--topology-port) is out of range: give 1..65535, or 0 for any free port");
    assertThat(r.code).isEqualTo(2);
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void theFlinkMetricsPortIsAPortOrMinusOneForOffAndNotRatelimitsPort() throws IOException {
    // The child refuses 0 (up's health check must know where to scrape) and 8081; before, up started it anyway, the
    // child exited 2 and the supervisor restarted it for ever with /readyz at 503.
    CliRun zero = upWith("--flink-metrics-port", "0");
    assertThat(zero.err.strip()).isEqualTo("switchyard: port 0 (--flink-metrics-port) is out of range: give 1..65535, or -1 for off");
    assertThat(zero.code).isEqualTo(2);
    CliRun ratelimits = upWith("--flink-metrics-port", "8081");
    assertThat(ratelimits.err.strip()).isEqualTo("switchyard: port 8081 (--flink-metrics-port) is the rate-limit service's "
        + "default port, which the Flink jobs' JVM refuses: give another, or -1 for off");
    assertThat(ratelimits.code).isEqualTo(2);
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void upRefusesTwoFlagsNamingOnePort() throws IOException {
    held.close();
    CliRun r = run("up", "--data-dir", dir.resolve("data").toString(), "--config-dir", Files.createDirectories(dir.resolve("c")).toString(),
        "--no-flink", "--admin-port", "0", "--kafka-port", "0", "--kafka-controller-port", "0", "--otlp-grpc-port", "0",
        "--otlp-http-port", Integer.toString(busy), "--als-port", "0", "--topology-port", Integer.toString(busy));
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err.strip()).isEqualTo("switchyard: port " + busy + " is named by both --otlp-http-port and --topology-port; "
        + "give each its own port");
    assertThat(dir.resolve("data")).doesNotExist();
  }
}
